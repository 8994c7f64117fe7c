"""targets.yaml bytes -> Python data, with every line a key was written on.

Reading is bounded before YAML sees a byte: only a regular file, at most
MAX_BYTES (a FIFO would block forever, /dev/zero would never end). Parsing is
bounded too: the node graph from SafeLoader is checked for depth and for how
far its aliases expand (a "billion laughs" file is a few hundred bytes) before
anything is constructed, and it is constructed by the same SafeLoader, so the
file is read exactly as yaml.safe_load reads it. The same walk finds every key
written twice (safe_load silently keeps the last) and the line of every key
path, so a validation error can say where to look.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20  # a manifest is a few kB; 1 MiB is far beyond any real one
MAX_DEPTH = 64
MAX_NODES = 100_000  # after aliases are expanded

Loc = tuple[str | int, ...]  # mapping keys as written, sequence indices as ints


class DocumentError(Exception):
    """The file cannot be read or parsed; str() is one line without the file's name."""


@dataclass
class Document:
    data: Any
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)  # key path (as text) -> 1-based line
    duplicates: list[tuple[Loc, int]] = field(default_factory=list)

    def line(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor written in the file."""
        parts = tuple(str(part) for part in loc)
        for end in range(len(parts), 0, -1):
            if parts[:end] in self.lines:
                return self.lines[parts[:end]]
        return None


def read_bounded(path: Path) -> str:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(path) from None
    except OSError as exc:
        raise DocumentError(f"cannot be read ({exc.strerror}); check its permissions") from None
    if stat.S_ISDIR(info.st_mode):
        raise DocumentError("is a folder, not a file; pass the manifest file itself with --manifest")
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError("is not a regular file (a FIFO, device or socket); pass a file with --manifest")
    try:
        # O_NONBLOCK: should the name become a FIFO between stat and open, open still returns.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot be read ({exc.strerror}); check its permissions") from None
    if len(raw) > MAX_BYTES:
        raise DocumentError(f"is larger than {MAX_BYTES // 1024} KiB, more than any manifest needs; is it the right file?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                            "save it as UTF-8") from None


def parse(text: str) -> Document:
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters outright
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise DocumentError(f"invalid YAML at line {line}: character {chr(exc.character)!r} is not allowed in "
                            "YAML; write it as an escape in a double-quoted string") from None
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            raise DocumentError(f"nested deeper than {MAX_DEPTH} levels; a manifest is a few levels deep") from None
        except yaml.YAMLError as exc:
            raise DocumentError(_yaml_problem(exc)) from None
        if root is None:
            return Document(None)
        document = Document(None)
        _walk(root, document)
        try:
            document.data = loader.construct_document(root)
        except yaml.YAMLError as exc:  # an unknown tag (!!python/object), an unhashable key
            raise DocumentError(_yaml_problem(exc)) from None
        return document
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, first = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and problem.startswith("but "):  # "expected a single document ..., but found another"
        problem = f"{context}, {problem}"
    elif context and problem == "second occurrence" and first:  # a duplicate anchor
        problem = f"{context.partition(';')[0]} (first at line {first.line + 1})"
    return f"invalid YAML at {where}{problem}"


def _walk(root: yaml.Node, document: Document) -> None:
    """Index lines and duplicates, and refuse deep nesting, recursion and alias bombs.

    Iterative, so depth is checked before Python's own recursion limit is near.
    """
    size: dict[int, int] = {}  # node id -> nodes it expands to, once finished
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, Loc, bool]] = [(root, (), False)]
    while stack:
        node, loc, done = stack.pop()
        if done:
            on_path.discard(id(node))
            size[id(node)] = 1 + sum(size[id(child)] for _, child in _children(node))
            if size[id(node)] > MAX_NODES:
                raise DocumentError(f"expands to more than {MAX_NODES} values (aliases of aliases?); "
                                    "write the values out instead")
            continue
        if id(node) in size:  # an alias of a finished node: counted by its size
            continue
        if id(node) in on_path:
            raise DocumentError(f"line {node.start_mark.line + 1}: an alias refers to a value that contains it; "
                                "a manifest cannot be recursive")
        if len(loc) > MAX_DEPTH:
            raise DocumentError(f"line {node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels; "
                                "a manifest is a few levels deep")
        on_path.add(id(node))
        stack.append((node, loc, True))
        seen: set[str] = set()
        for (key, child), line in zip(_children(node), _lines(node)):
            if isinstance(node, yaml.MappingNode) and key != "<<":
                if key in seen:
                    document.duplicates.append(((*loc, key), line))
                seen.add(str(key))
            document.lines.setdefault(tuple(str(part) for part in (*loc, key)), line)
            stack.append((child, (*loc, key), False))


def _children(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        return [(str(k.value) if isinstance(k, yaml.ScalarNode) else "?", v) for k, v in node.value]
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _lines(node: yaml.Node) -> list[int]:
    if isinstance(node, yaml.MappingNode):
        return [k.start_mark.line + 1 for k, _ in node.value]
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []
