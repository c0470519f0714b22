"""Docker's human-readable units (go-units) for CLI output: sizes, durations, "3 hours ago".

The one place the CLI formats them; the engine returns plain numbers and RFC 3339 strings.
"""
from __future__ import annotations

import time


def human_size(size: float) -> str:
    """units.HumanSizeWithPrecision(size, 3), as ``docker image ls`` prints it ("4.26MB")."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return f"{size:.3g}{units[i]}"


def human_duration(seconds: float) -> str:
    """units.HumanDuration ("Less than a second", "About a minute", "3 hours", ...)."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def parse_time(created: str) -> float:
    """RFC 3339 (with or without fractional seconds / offset) -> epoch seconds (0 if unknown)."""
    if not created:
        return 0.0
    from datetime import datetime, timezone
    text = created.strip().replace("Z", "+00:00")
    main, dot, rest = text.partition(".")
    if dot:
        frac = "".join(c for c in rest if c.isdigit())
        tz = rest[len(frac):]
        text = f"{main}.{frac[:6]}{tz}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def created_since(created: str) -> str:
    """The CREATED column: "3 hours ago" ("N/A" when unknown)."""
    t = parse_time(created)
    return human_duration(time.time() - t) + " ago" if t else "N/A"


def created_at(created: str) -> str:
    """The CreatedAt field: "2024-01-02 03:04:05 +0000 UTC" ("" when unknown)."""
    t = parse_time(created)
    return time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(t)) if t else ""
