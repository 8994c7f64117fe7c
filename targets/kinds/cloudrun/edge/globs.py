"""Hosting's path patterns as PCRE for nginx, with the emulator's exact semantics.

firebase-tools serves Hosting through superstatic, which matches `source`
globs with minimatch 6 (default options: no dotfiles, case-sensitive) segment
by segment (utils/patterns.js), after glob-slash normalised the pattern; and a
redirect whose destination names `:params` with path-to-regexp 1.x
(case-insensitive, optional trailing slash; middleware/redirects.js). nginx
matches one regex against the whole path, so each pattern becomes one regex
that accepts exactly the paths minimatch accepts: segments are split on `/+`,
a file may end in one extra empty segment (a trailing slash), a `**` swallows
whole segments that do not start with a dot, and a `**` at the end must
swallow at least one. tests/unit/test_edge_globs.py holds minimatch's own
answers; tests/integration/test_edge.py compares against node's minimatch live.
"""

from __future__ import annotations

import re

GLOBSTAR = object()
_SPECIALS = set("().*{}+?[]^$\\!|")
_ENCODE_KEEP = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'();/?:@&=+$,#")


class Unsupported(ValueError):
    """A pattern feature the edge does not translate (the rule is left out, with a warning)."""


def encode_uri(text: str) -> str:
    """JavaScript's encodeURI: what a decoded path looks like on the wire."""
    return "".join(c if c in _ENCODE_KEEP else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def slash(glob: str) -> str:
    """glob-slash: Node's path.normalize(path.join('/', glob)), keeping a leading '!'."""
    if glob.startswith("!"):
        return "!" + slash(glob[1:])
    trailing = glob.endswith("/") or glob.endswith("/.") or glob.endswith("/..")
    parts: list[str] = []
    for part in ("/" + glob).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts) + ("/" if trailing and parts else "")


def braces(pattern: str) -> list[str]:
    """brace-expansion, as minimatch calls it: {a,b}, nested, and {1..3} / {a..c} sequences."""
    if not re.search(r"\{(?:(?!\{).)*\}", pattern):
        return [pattern]
    return _expand(pattern)


def _expand(text: str) -> list[str]:
    start = _unescaped(text, "{")
    while start != -1:
        depth, end = 0, -1
        for i in range(start, len(text)):
            if text[i] == "\\":
                continue
            if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
                depth += 1
            elif text[i] == "}" and text[i - 1] != "\\":
                depth -= 1
                if depth == 0:
                    end = i
                    break
        if end == -1:
            return [text]
        pre, body, post = text[:start], text[start + 1:end], text[end + 1:]
        options = _split_commas(body)
        if len(options) == 1:
            seq = re.fullmatch(r"(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?|([a-zA-Z])\.\.([a-zA-Z])(?:\.\.(-?\d+))?", body)
            if seq is None:
                # Not a list: the braces stay literal; look for the next pair.
                rest = _expand(post)
                return [f"{pre}{{{alt}}}{r}" for alt in _expand(body) for r in rest] if "{" in body else \
                    [f"{pre}{{{body}}}{r}" for r in rest]
            options = _sequence(seq)
        else:
            options = [o for option in options for o in _expand(option)]
        return [pre + option + rest for option in options for rest in _expand(post)]
    return [text]


def _unescaped(text: str, char: str) -> int:
    for i, c in enumerate(text):
        if c == char and (i == 0 or text[i - 1] != "\\"):
            return i
    return -1


def _split_commas(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for i, c in enumerate(body):
        escaped = i > 0 and body[i - 1] == "\\"
        if c == "{" and not escaped:
            depth += 1
        elif c == "}" and not escaped:
            depth -= 1
        if c == "," and depth == 0 and not escaped:
            parts.append(current)
            current = ""
        else:
            current += c
    return [*parts, current]


def _sequence(m: re.Match[str]) -> list[str]:
    if m.group(1) is not None:
        a, b, step = int(m.group(1)), int(m.group(2)), abs(int(m.group(3) or 1)) or 1
        width = max(len(m.group(1)), len(m.group(2))) if m.group(1).lstrip("-").startswith("0") or \
            m.group(2).lstrip("-").startswith("0") else 0
        values = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
        return [str(v).zfill(width) for v in values]
    a, b, step = ord(m.group(4)), ord(m.group(5)), abs(int(m.group(6) or 1)) or 1
    values = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
    return [chr(v) for v in values]


def _segment(part: str, dot: bool, literal_encode: bool) -> str:
    """One path segment of a glob as a regex fragment (minimatch's parse())."""
    if part == "":
        return ""
    body, magic, dot_allowed = _body(part, dot, literal_encode)
    if not magic:
        return body
    if body[0] in "[(" and not dot_allowed:
        return ("(?!(?:^|/)\\.{1,2}(?:$|/))" if dot else "(?!\\.)") + "(?=[^/])" + body
    return "(?=[^/])" + body


def _body(part: str, dot: bool, encode: bool) -> tuple[str, bool, bool]:
    """(regex, has magic, leading dot allowed) of one segment, without minimatch's prefixes."""
    out, magic, i = "", False, 0
    dot_allowed = part.startswith(".")
    while i < len(part):
        c = part[i]
        if c == "\\" and i + 1 < len(part):
            out += _literal(part[i + 1], encode)
            i += 2
            continue
        if c in "?*+@!" and i + 1 < len(part) and part[i + 1] == "(":
            close = _close_paren(part, i + 1)
            if c == "!" or close == -1:
                raise Unsupported(f"extglob {c}(...) in {part!r}")
            alternatives = []
            for alternative in part[i + 2:close].split("|"):
                inner, _, _ = _body(alternative, dot, encode)
                start = "" if (i != 0 or dot or alternative.startswith(".")) else "(?!\\.)"
                alternatives.append(start + inner)
            dot_allowed = dot_allowed or i == 0
            out += "(?:" + "|".join(alternatives) + ")" + {"?": "?", "*": "*", "+": "+", "@": ""}[c]
            magic = True
            i = close + 1
            continue
        if c == "*":
            while i + 1 < len(part) and part[i + 1] == "*":
                i += 1
            out += "[^/]*?"
            magic = True
        elif c == "?":
            out += "[^/]"
            magic = True
        elif c == "[" and part.find("]", i + 2) != -1:
            end = part.find("]", i + 2)
            chars = part[i + 1:end]
            if chars.startswith("!"):
                chars = "^" + chars[1:]
            if "/" in chars or "[" in chars:
                raise Unsupported(f"character class [{part[i + 1:end]}] in {part!r}")
            out += "[" + chars.replace("\\", "\\\\") + "]"
            magic = True
            i = end
        else:
            out += _literal(c, encode)
        i += 1
    return out, magic, dot_allowed


def _close_paren(text: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _literal(c: str, encode: bool) -> str:
    text = encode_uri(c) if encode else c
    return "".join("\\" + ch if ch in _SPECIALS or ch in "/#" else ch for ch in text)


def _parts(expanded: str) -> list[object]:
    parts: list[object] = list(re.split(r"/+", expanded))
    changed = True
    while changed:  # minimatch moves `*` in front of a preceding `**`
        changed = False
        for i in range(1, len(parts) - 1):
            if parts[i] == "*" and parts[i - 1] == "**":
                parts[i - 1], parts[i], changed = "*", "**", True
    deduped: list[object] = []
    for part in parts:
        if part == "**" and deduped and deduped[-1] == "**":
            continue
        deduped.append(part)
    return [GLOBSTAR if p == "**" else p for p in deduped]


def _assemble(parts: list[object], dot: bool) -> str:
    nondot = "(?!\\.{1,2}(?:/|$))" if dot else "(?!\\.)"
    many = f"(?:/+{nondot}[^/]+)*"
    stars = [i for i, p in enumerate(parts) if p is GLOBSTAR]
    if not stars:
        segments = [str(p) for p in parts]
        return "/+".join(segments) + ("" if segments[-1] == "" else "/*")
    head, tail = [str(p) for p in parts[:stars[0]]], [str(p) for p in parts[stars[-1] + 1:]]
    out = "/+".join(head)
    section: list[str] = []
    for part in parts[stars[0] + 1:stars[-1] + 1]:
        if part is GLOBSTAR:
            out += many + ("/+" + "/+".join(section) if section else "")
            section = []
        else:
            section.append(str(part))
    if tail:
        return out + many + "/+" + "/+".join(tail) + ("" if tail[-1] == "" else "/*")
    # A `**` at the end swallows at least one segment (a trailing slash counts).
    return out + f"(?:(?:/+{nondot}[^/]+)+/*|/+)"


def glob_regex(glob: str, *, dot: bool = False, literal_encode: bool = False) -> str:
    """An anchored regex accepting exactly the paths minimatch(path, slash(glob)) accepts.

    `literal_encode`: match the percent-encoded wire form of literal characters
    (redirects match a decoded path; the edge sees the raw one).
    """
    pattern = slash(glob)
    negate = False
    while pattern.startswith("!"):
        negate, pattern = not negate, pattern[1:]
    alternatives = []
    for expanded in braces(pattern):
        parts = _parts(expanded)
        segments = [p if p is GLOBSTAR else _segment(str(p), dot, literal_encode) for p in parts]
        alternatives.append(_assemble(segments, dot))
    body = "|".join(dict.fromkeys(alternatives))
    return f"^(?!(?:{body})$)" if negate else f"^(?:{body})$"
