"""``docker history``: the config's history entries matched up with the layers."""
from __future__ import annotations


def image_history(image) -> list[dict]:
    """Newest first, like docker: {"Id", "Created", "CreatedBy", "Size", "Comment", "Tags"}."""
    history = image.config.get("history") or []
    layers = image.layers
    rows = []
    layer_i = 0
    for entry in history:
        empty = bool(entry.get("empty_layer"))
        size = 0
        if not empty and layer_i < len(layers):
            size = layers[layer_i].size
            layer_i += 1
        rows.append({"Id": "<missing>", "Created": entry.get("created", ""),
                     "CreatedBy": entry.get("created_by", ""), "Size": size,
                     "Comment": entry.get("comment", ""), "Tags": []})
    if not rows:
        rows = [{"Id": "<missing>", "Created": image.config.get("created", ""), "CreatedBy": "",
                 "Size": d.size, "Comment": "", "Tags": []} for d in layers]
    if rows:
        rows[-1]["Id"] = image.id
        rows[-1]["Tags"] = list(image.tags)
    rows.reverse()
    return rows
