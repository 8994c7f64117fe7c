"""Find a key written twice in one YAML mapping.

safe_load silently keeps the last of two equal keys, so a manifest with
`port:` twice would build with a value its author may not have meant. The
check walks the node graph from yaml.compose with SafeLoader, which builds no
Python objects, so the file is still only ever constructed by safe_load.
"""

from __future__ import annotations

import yaml


def first_duplicate(text: str) -> tuple[str, int] | None:
    """(key path, 1-based line) of the first repeated key, or None."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    return _walk(root, "", set()) if root is not None else None


def _walk(node: yaml.Node, path: str, visited: set[int]) -> tuple[str, int] | None:
    if id(node) in visited:  # an alias seen before (or a recursive one)
        return None
    visited.add(id(node))
    children: list[tuple[str, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            where = f"{path}.{name}" if path else name
            if name in seen:
                return where, key.start_mark.line + 1
            seen.add(name)
            children.append((where, value))
    elif isinstance(node, yaml.SequenceNode):
        children = [(f"{path}[{index}]", item) for index, item in enumerate(node.value)]
    for where, child in children:
        found = _walk(child, where, visited)
        if found:
            return found
    return None
