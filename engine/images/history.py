"""``docker history``: the config's history entries matched up with the layers."""
from __future__ import annotations


def image_history(image, sizes: list[int] | None = None) -> list[dict]:
    """Newest first (``sizes``: unpacked size per layer), like docker: {"Id", "Created", "CreatedBy", "Size", "Comment", "Tags"}."""
    history = image.config.get("history") or []
    layers = image.layers
    sizes = sizes if sizes is not None else [d.size for d in layers]
    rows = []
    layer_i = 0
    for entry in history:
        empty = bool(entry.get("empty_layer"))
        size = 0
        if not empty and layer_i < len(layers):
            size = sizes[layer_i]
            layer_i += 1
        rows.append({"Id": "<missing>", "Created": entry.get("created", ""),
                     "CreatedBy": entry.get("created_by", ""), "Size": size,
                     "Comment": entry.get("comment", ""), "Tags": []})
    if not rows:
        rows = [{"Id": "<missing>", "Created": image.config.get("created", ""), "CreatedBy": "",
                 "Size": size, "Comment": "", "Tags": []} for size in sizes]
    if rows:
        rows[-1]["Id"] = image.id
        rows[-1]["Tags"] = list(image.tags)
    rows.reverse()
    return rows
