"""Writing readings a curator can read: block lists, one flow mapping per short item.

Strings are written as JSON strings, which are valid YAML double-quoted scalars, so a quote,
a colon or a curly apostrophe in the text never changes what the YAML means.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def inline(value: Any) -> str:
    if isinstance(value, dict):
        return flow(value)
    if isinstance(value, list):
        return "[" + ", ".join(inline(x) for x in value) + "]"
    return scalar(value)


def flow(mapping: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {inline(v)}" for k, v in mapping.items()) + "}"


def block(mapping: dict[str, Any], indent: int = 0) -> list[str]:
    """A mapping as block YAML; nested mappings as blocks, lists of mappings as `- {…}` lines."""
    pad, out = " " * indent, []
    for k, v in mapping.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:")
            out += block(v, indent + 2)
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out.append(f"{pad}{k}:")
            out += [f"{pad}  - {flow(x)}" for x in v]
        elif isinstance(v, list):
            out.append(f"{pad}{k}: [{', '.join(scalar(x) for x in v)}]")
        else:
            out.append(f"{pad}{k}: {scalar(v)}")
    return out


def write_atomic(path: Path, text: str) -> None:
    """Write beside and rename: a reading is never left half-written."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
