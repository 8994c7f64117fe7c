"""Redirect sources with `:params`, as superstatic reads them: path-to-regexp 1.x.

A redirect whose destination names `:params` is matched with path-to-regexp
(case-insensitive, optional trailing slash; superstatic's redirects.js), not
minimatch. Each parameter becomes a named group, and so an nginx variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .globs import Unsupported


@dataclass(frozen=True)
class Capture:
    """A redirect source in path-to-regexp 1.x syntax: its regex and parameter names."""

    regex: str
    names: tuple[str, ...]


_PTR = re.compile(r"(\\.)|([/.])?(?:(?::(\w+)(?:\(((?:\\.|[^\\()])+)\))?|\(((?:\\.|[^\\()])+)\))([+*?])?|(\*))")


def group(name: str) -> str:
    """The regex group (and nginx variable) name of a path parameter."""
    return "edge_p_" + re.sub(r"\W", "_", name)


def capture_regex(source: str, required: frozenset[str] = frozenset()) -> Capture:
    """path-to-regexp 1.x (as superstatic 10 uses it): case-insensitive, optional trailing slash.

    A parameter the destination needs is `required`: where the emulator finds it
    missing, compiling the destination throws and the rule is skipped, so the
    regex does not match without it.
    """
    out, names, index, unnamed = "", [], 0, 0
    for m in _PTR.finditer(source):
        out += re.escape(source[index:m.start()])
        index = m.end()
        escaped, prefix, name, custom, group_pattern, modifier, asterisk = m.groups()
        if escaped:
            out += re.escape(escaped[1])
            continue
        if name is None:
            name, unnamed = str(unnamed), unnamed + 1
        pattern = custom or group_pattern or (".*" if asterisk else "[^/]+?")
        if "(" in pattern.replace("\\(", ""):
            raise Unsupported(f"a group inside parameter {name!r} of {source!r}")
        prefix = prefix or ""
        repeat, optional = modifier in ("+", "*"), modifier in ("?", "*") and name not in required
        body = f"(?:{pattern})" + (f"(?:{re.escape(prefix)}(?:{pattern}))*" if repeat else "")
        names.append(name)
        out += (f"(?:{re.escape(prefix)}(?P<{group(name)}>{body}))?" if optional
                else f"{re.escape(prefix)}(?P<{group(name)}>{body})")
    out += re.escape(source[index:])
    return Capture(f"(?i)^{out}(?:/(?=$))?$", tuple(names))


def destination_params(destination: str) -> list[str]:
    """The :params a redirect destination names (path-to-regexp tokens)."""
    return [m.group(3) for m in _PTR.finditer(destination) if m.group(3) and not m.group(1)]


def uses_captures(destination: str) -> bool:
    """superstatic compiles a destination when a `:` starts it or follows a slash."""
    return re.search(r"(?:^|/):", destination) is not None


def name_groups(regex: str) -> tuple[str, set[str]]:
    """Every capturing group named, so nginx can use it: `(x)` is the Nth group, as the
    emulator numbers them (:1, :2), and `(?P<post>x)` keeps its name (:post)."""
    out, names, number, i, in_class = "", set(), 0, 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            out += regex[i:i + 2]
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c == "(" and not in_class:
            named = re.match(r"\(\?P?<(\w+)>", regex[i:])
            if named or not regex.startswith("(?", i):
                number += 1
                name = named.group(1) if named else str(number)
                names.add(name)
                out += f"(?P<{group(name)}>"
                i += len(named.group(0)) if named else 1
                continue
        out += c
        i += 1
    return out, names
