"""Which URL serves which file of public/, and which redirects: superstatic's files.js.

The files middleware decides from the request path and three file-existence
tests (the path, its directory index, the path plus .html) under cleanUrls and
trailingSlash. The public folder is fixed while the edge runs, so every path
that can lead to a file is known in advance: each file's own path, its
directory (with and without the slash) for an index.html, and its clean URL
(with and without the slash) for any .html. decide() is the middleware, line
for line; table() runs it over those candidates, and every other path falls
through to the rewrites.
"""

from __future__ import annotations

from collections.abc import Iterable

INDEX = "index.html"


def _strip(text: str, suffix: str) -> str:
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


def _slash(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def _as_index(path: str) -> str:
    return path if path.endswith("/" + INDEX) else (path + "/" + INDEX).replace("//", "/")


def decide(path: str, files: frozenset[str], clean: bool, trailing: bool | None) -> tuple[str, str] | None:
    """("file", file) or ("redirect", location) for a request path, or None to fall through."""
    if path in files:
        if clean and path.endswith(".html"):
            target = _strip(path, ".html")
            if target.endswith("/index"):
                target = _strip(target, "/index")
            if trailing is True:
                target = _slash(target)
            return "redirect", target or "/"
        return "file", path
    slashed = path.endswith("/")
    index = _as_index(_slash(path))
    if index in files:
        if trailing is None and not slashed and not clean:
            return "redirect", _slash(path)
        if trailing is False and slashed and path != "/":
            return "redirect", _strip(path, "/") or "/"
        if trailing is True and not slashed:
            return "redirect", _slash(path)
        return "file", index
    if not clean:
        return None
    appended = path
    if slashed:
        if trailing is not None:
            appended = _strip(path, "/") + ".html"
    else:
        appended += ".html"
    if appended not in files:
        return None
    if trailing is False and slashed:
        return "redirect", _strip(path, "/") or "/"
    if trailing is True and not slashed:
        return "redirect", _slash(_strip(_strip(appended, ".html"), "/index"))
    if appended.endswith("/" + INDEX):
        return "redirect", _strip(appended, "/" + INDEX) or "/"
    return "file", appended


def candidates(files: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for file in files:
        found.add(file)
        if file.endswith("/" + INDEX):
            directory = file[: -len(INDEX)]
            found.update({directory, directory.rstrip("/") or "/"})
        if file.endswith(".html"):
            found.update({file[:-5], file[:-5] + "/"})
    return {c for c in found if c}


def table(files: frozenset[str], clean: bool, trailing: bool | None) -> dict[str, tuple[str, str]]:
    """Every request path that a file answers (or redirects), sorted."""
    decided = {path: decide(path, files, clean, trailing) for path in candidates(files)}
    return {path: action for path, action in sorted(decided.items()) if action is not None}
