"""compose/cli/units.py (Docker's go-units formatting) and the image ls rows built from ImageInfo."""
from __future__ import annotations

import time

from compose.cli import units
from compose.cli.image_format import list_rows
from engine.types import ImageConfig, ImageInfo


def test_human_size_three_significant_decimal_digits():
    assert units.human_size(0) == "0B"
    assert units.human_size(999) == "999B"
    assert units.human_size(4_261_000) == "4.26MB"
    assert units.human_size(1_000_000_000) == "1GB"
    assert units.human_size(123_456_789_012) == "123GB"


def test_human_duration_follows_go_units():
    cases = {0.5: "Less than a second", 1: "1 second", 59: "59 seconds", 60: "About a minute",
             119: "About a minute", 150: "2 minutes", 3599: "59 minutes",
             3600: "About an hour", 5399: "About an hour", 9000: "3 hours",   # rounds half up
             47 * 3600: "47 hours", 48 * 3600: "2 days", 14 * 86400: "2 weeks",
             60 * 86400: "2 months", 3 * 365 * 86400: "3 years"}
    assert {s: units.human_duration(s) for s in cases} == cases


def test_created_since_and_at():
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.123456789Z", time.gmtime(time.time() - 7200))
    assert units.created_since(stamp) == "2 hours ago"
    assert units.created_at("2024-01-02T03:04:05Z") == "2024-01-02 03:04:05 +0000 UTC"
    assert units.parse_time("2024-01-02T05:04:05+02:00") == units.parse_time("2024-01-02T03:04:05Z")
    assert units.created_since("") == "N/A" and units.created_at("garbage") == ""


def test_list_rows_one_per_tag_or_none():
    info = ImageInfo(id="sha256:" + "ab" * 32,
                     repo_tags=("docker.io/library/busybox:latest", "example.com/x/y:1"),
                     repo_digests=("docker.io/library/busybox@sha256:" + "cd" * 32,),
                     created="2024-01-02T03:04:05Z", size=4_261_000, architecture="amd64",
                     os="linux", config=ImageConfig())
    rows = list_rows(info)
    assert [(r["Repository"], r["Tag"]) for r in rows] == [("busybox", "latest"),
                                                          ("example.com/x/y", "1")]
    assert rows[0]["Digest"] == "sha256:" + "cd" * 32 and rows[1]["Digest"] == "<none>"
    assert rows[0]["ID"] == "ab" * 6 and rows[0]["Size"] == "4.26MB"
    assert rows[0]["CreatedAt"] == "2024-01-02 03:04:05 +0000 UTC"
    untagged = list_rows(ImageInfo(id=info.id, repo_tags=(), repo_digests=(), created="",
                                   size=0, architecture="", os="", config=ImageConfig()))
    assert [(r["Repository"], r["Tag"], r["CreatedSince"]) for r in untagged] == \
        [("<none>", "<none>", "N/A")]
