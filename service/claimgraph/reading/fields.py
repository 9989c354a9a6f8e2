"""Small typed accessors over line-aware YAML mappings; each records problems."""

from __future__ import annotations

import re
from typing import Any, Iterable

from .problems import Problem
from .yamlfile import Node, Seq

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


class Fields:
    """Reads fields from one YAML mapping, collecting problems instead of raising."""

    def __init__(self, node: Any, file: str, problems: list[Problem], what: str, line: int = 1):
        self.file = file
        self.problems = problems
        self.what = what
        if isinstance(node, Node):
            self.node: Node = node
        else:
            self.node = Node()
            self.node.line = getattr(node, "line", line)
            self.node.key_lines = {}
            self.problem(f"{what}: expected a mapping, got {type(node).__name__}", self.node.line)

    def problem(self, message: str, line: int | None = None, key: str | None = None) -> None:
        if line is None:
            line = self.node.line_of(key) if key else self.node.line
        self.problems.append(Problem(self.file, line, message))

    def line(self, key: str | None = None) -> int:
        return self.node.line_of(key) if key else self.node.line

    def allow(self, keys: Iterable[str]) -> None:
        allowed = set(keys)
        for key in self.node:
            if key not in allowed:
                self.problem(f"{self.what}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", key=str(key))

    def str(self, key: str, required: bool = True, default: str | None = None) -> str | None:
        value = self.node.get(key)
        if value is None:
            if required:
                self.problem(f"{self.what}: missing {key}")
            return default
        if not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            self.problem(f"{self.what}: {key} must be text, got {type(value).__name__}", key=key)
            return default
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.str(key, required=default is None, default=default)
        if value is not None and value not in options:
            self.problem(f"{self.what}: {key} {value!r} is not one of {', '.join(options)}", key=key)
            return default
        return value

    def int(self, key: str) -> int | None:
        value = self.node.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(f"{self.what}: {key} must be an integer, got {value!r}", key=key)
            return None
        return value

    def list(self, key: str, required: bool = False) -> list[Any]:
        value = self.node.get(key)
        if value is None:
            if required:
                self.problem(f"{self.what}: missing {key} (a list)")
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.problem(f"{self.what}: {key} must be a list", key=key)
            return []
        return list(value)

    def strs(self, key: str, required: bool = False) -> list[str]:
        out = []
        for item in self.list(key, required):
            if isinstance(item, str):
                out.append(item)
            else:
                self.problem(f"{self.what}: {key} items must be text, got {item!r}", key=key)
        if required and not out and key in self.node:
            self.problem(f"{self.what}: {key} must not be empty", key=key)
        return out

    def mapping(self, key: str) -> Node | None:
        value = self.node.get(key)
        if value is None:
            return None
        if not isinstance(value, Node):
            self.problem(f"{self.what}: {key} must be a mapping", key=key)
            return None
        return value


def items(value: Any, file: str, problems: list[Problem], what: str, line: int) -> list[tuple[Any, int]]:
    """The items of a YAML sequence with their lines; a non-list is a problem."""
    if value is None:
        return []
    if not isinstance(value, Seq):
        problems.append(Problem(file, getattr(value, "line", line), f"{what} must be a list"))
        return []
    return list(zip(value, value.item_lines))
