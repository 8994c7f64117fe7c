"""pip's requirements-file syntax, read the way pip reads it, with -r included in place.

Pure: files are read, nothing is run. The rules are pip's own
(pip/_internal/req/req_file.py): physical lines joined on a trailing
backslash, then comments dropped (`#` at the start or after whitespace); a
line starting with `-` is an option line; otherwise the requirement is the
words before the first one starting with `-`, and the rest are its per-line
options (`--hash`). Paths in `-r` / `-c` are relative to the file naming them;
a local path in a requirement line is relative to pip's working directory,
which is app.source's top on every platform (the zip's root, /srv/app).

Every line keeps its text as written, so an unchanged file renders back
byte for byte. A line nothing can honour (VCS, a path outside app.source, a
password written into a URL) is one error naming the file and the line.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from ..errors import BuildFailed

Kind = Literal["text", "option", "index", "constraint", "named", "self", "path", "url"]

_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip: `#` at the start or after whitespace
_SELF = re.compile(r"\./?(?P<extras>\[[^\]]*\])?")
_VCS = re.compile(r"(^|@\s*)(git|hg|svn|bzr)\+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^file:")
_NAMED_URL = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<extras>\[[^\]]*\])?\s*@\s*(?P<url>\S+)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar")
# pip expands only ${NAME} with this spelling (req_file.py, ENV_VAR_RE)
_ENV_VAR = re.compile(r"\$\{[A-Z0-9_]+\}")
# Options the host download needs and an image never does: the wheelhouse holds the files.
_INDEX = ("--index-url", "--extra-index-url", "--no-index", "--find-links", "--trusted-host")
_SHORT = {"-r": "--requirement", "-c": "--constraint", "-e": "--editable", "-i": "--index-url", "-f": "--find-links"}
_TAKES_VALUE = ("--requirement", "--constraint", "--editable", "--index-url", "--extra-index-url",
                "--find-links", "--trusted-host")


@dataclass(frozen=True)
class Entry:
    """One logical line, with where it came from."""

    kind: Kind
    raw: str  # as written, continuation lines included
    file: str  # the file holding it, as shown in errors (relative to app.source)
    number: int  # its first physical line, 1-based
    spec: str = ""  # requirement (no per-line options), an option's value, or a path relative to app.source
    options: tuple[str, ...] = ()  # per-line options of a requirement (--hash=...)
    extras: str = ""  # "[x]" of the app itself, a local path or a URL
    marker: str = ""  # the environment marker of a path or URL line (`python_version < "3.12"`)
    name: str = ""  # canonical project name, where the line names one
    editable: bool = False

    @property
    def where(self) -> str:
        # Number 0: a pyproject.toml dependency (serverpins.pyproject_names), read as TOML, not by line.
        return f"{self.file} line {self.number}" if self.number else f"{self.file} [project] dependencies"

    @property
    def hashes(self) -> tuple[str, ...]:
        """`sha256:...` values of its --hash options."""
        return tuple(option.removeprefix("--hash=") for option in self.options if option.startswith("--hash="))


@dataclass(frozen=True)
class Expanded:
    entries: tuple[Entry, ...]  # -r files inlined, in pip's order; -c kept as a `constraint` entry
    index: tuple[Entry, ...] = field(default=())  # index options of every file read, -c files included

    @property
    def hashed(self) -> bool:
        """pip's hash-checking mode: any --hash, or --require-hashes."""
        return any(e.hashes or (e.kind == "option" and e.spec == "--require-hashes") for e in self.entries)

    def named(self) -> dict[str, Entry]:
        return {e.name: e for e in self.entries if e.name and e.kind in ("named", "url")}


def logical_lines(text: str) -> list[tuple[int, str, str]]:
    """(first line number, raw, logical) for each line pip reads."""
    out: list[tuple[int, str, str]] = []
    physical = text.splitlines()
    index = 0
    while index < len(physical):
        start, raw = index, physical[index]
        while raw.endswith("\\") and index + 1 < len(physical):
            index += 1
            raw += "\n" + physical[index]
        index += 1
        out.append((start + 1, raw, _COMMENT.sub("", raw.replace("\\\n", "")).strip()))
    return out


def expand(text: str, file: Path, root: Path, prefix: str, shown: str | None = None,
           missing: str = "does not exist", constraint: bool = False) -> Expanded:
    """Read `text` (the content of `file`) with every -r inlined and every -c checked.

    `root` is app.source (pip's working directory). Errors start with `prefix`
    and name the file (`shown`, or its path relative to root) and the line; a
    path that is not there is said to be `missing`. With `constraint`, `text` is
    a constraints file, whose own -r/-c files are inlined as constraints too.
    """
    reader = _Reader(root, prefix, missing)
    entries = reader.read(text, file, shown or _rel(file, root), constraint=constraint, stack=())
    return Expanded(tuple(entries), tuple(reader.index))


class _Reader:
    def __init__(self, root: Path, prefix: str, missing: str) -> None:
        self.root, self.prefix, self.missing = root, prefix, missing
        self.real_root = Path(os.path.realpath(root))
        self.index: list[Entry] = []

    def fail(self, shown: str, number: int, message: str) -> BuildFailed:
        return BuildFailed(f"{self.prefix}{shown} line {number}: {message}")

    def read(self, text: str, file: Path, shown: str, constraint: bool, stack: tuple[Path, ...]) -> list[Entry]:
        entries: list[Entry] = []
        for number, raw, logical in logical_lines(text):
            if not logical:
                entries.append(Entry("text", raw, shown, number))
            elif logical.startswith("-"):
                entries.extend(self.option(raw, logical, file, shown, number, constraint, stack))
            else:
                entries.append(self.requirement(raw, logical, shown, number, editable=False))
        return entries

    def option(self, raw: str, logical: str, file: Path, shown: str, number: int, constraint: bool,
               stack: tuple[Path, ...]) -> list[Entry]:
        try:
            tokens = shlex.split(logical)
        except ValueError as exc:
            raise self.fail(shown, number, f"cannot read '{logical}': {exc}") from None
        name, value = _option(tokens)
        if name in ("--requirement", "--constraint"):
            included = self.include(value, file, shown, number, stack)
            rel = _rel(included, self.root)
            body = self.read(included.read_text(encoding="utf-8"), included, rel,
                             constraint or name == "--constraint", (*stack, included.resolve()))
            if constraint:
                return body  # inside a constraints file, whatever it includes constrains too
            if name == "--constraint":
                # Constraints shape the resolution without installing anything, so they
                # cannot be inlined as requirements: they stay a file, named from app.source's top.
                return [Entry("constraint", raw, shown, number, rel)]
            return [Entry("text", f"# {logical}  (inlined below)", shown, number), *body]
        if name == "--editable":
            return [self.requirement(raw, value, shown, number, editable=True)]
        if name in _INDEX:
            entry = Entry("index", raw, shown, number, self.index_line(name, value, file, shown, number))
            self.index.append(entry)
            return []
        return [Entry("option", raw, shown, number, name)]

    def include(self, value: str, file: Path, shown: str, number: int, stack: tuple[Path, ...]) -> Path:
        if _SCHEME.match(value):
            raise self.fail(shown, number, f"includes '{value}' by URL; copy the file into app.source and name it by path")
        path = file.parent / value
        if not self._inside(path):
            raise self.fail(shown, number, f"includes '{value}', which is outside app.source: "
                                           "only what app.source holds is shipped")
        if not path.is_file():
            raise self.fail(shown, number, f"includes '{value}', which {self.missing} ({_rel(path, self.root)})")
        if path.resolve() in stack or path.resolve() == file.resolve():
            raise self.fail(shown, number, f"includes '{value}', which includes this file again")
        return path

    def index_line(self, name: str, value: str, file: Path, shown: str, number: int) -> str:
        """The option as the host download reads it: a local --find-links made absolute."""
        if name == "--no-index":
            return name
        _check_credentials(value, lambda message: self.fail(shown, number, message))
        if name == "--find-links" and not _SCHEME.match(value):
            # pip reads a relative --find-links against the file's folder when that exists.
            local = file.parent / value
            if not self._inside(local) or not local.exists():
                raise self.fail(shown, number, f"--find-links '{value}' is not a folder inside app.source")
            value = str(local.resolve())
        return f"{name} {value}"

    def requirement(self, raw: str, logical: str, shown: str, number: int, editable: bool) -> Entry:
        spec, options = split_requirement(logical)
        entry = Entry("named", raw, shown, number, spec, options, editable=editable)
        if _VCS.search(spec):
            raise self.fail(shown, number, f"cannot install '{logical}': a VCS requirement needs git and the network "
                                           "at install time, and images install offline; list it by name from an "
                                           "index, or point at a wheel (name @ https://.../x.whl)")
        self_match = _SELF.fullmatch(spec)
        if self_match:
            return _replace(entry, kind="self", extras=self_match.group("extras") or "")
        entry = _replace(entry, marker=_marker(spec))
        named_url = _NAMED_URL.match(spec)
        if named_url:
            return self.located(entry, named_url.group("url"), named_url.group("extras") or "",
                                canonicalize_name(named_url.group("name")))
        if _SCHEME.match(spec):
            return self.located(entry, spec.split(" ")[0], "", "")
        if _looks_like_path(spec):
            path_part, extras = _split_extras(spec.split(" ")[0])
            return self.local(entry, path_part, extras, "")
        if editable:
            raise self.fail(shown, number, f"cannot install '{logical}': -e takes a path or a VCS URL")
        head = _NAME.match(spec)
        return _replace(entry, name=canonicalize_name(head.group(0)) if head else "")

    def located(self, entry: Entry, url: str, extras: str, name: str) -> Entry:
        """A direct reference: a file: URL is a local path; http(s) is fetched on the host."""
        _check_credentials(url, lambda message: self.fail(entry.file, entry.number, message))
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return self.local(entry, unquote(urlsplit(url).path), extras, name)
        if scheme in ("http", "https"):
            return _replace(entry, kind="url", spec=entry.spec, extras=extras, name=name or _name_from_url(url))
        raise self.fail(entry.file, entry.number, f"cannot install '{entry.spec}': unknown URL scheme '{scheme}'")

    def local(self, entry: Entry, path_text: str, extras: str, name: str) -> Entry:
        path = Path(os.path.expanduser(path_text))
        path = path if path.is_absolute() else self.root / path
        if not self._inside(path):
            raise self.fail(entry.file, entry.number, f"cannot install '{entry.spec}': {path_text} is outside "
                                                      "app.source, and only app.source is shipped")
        if not path.exists():
            raise self.fail(entry.file, entry.number, f"cannot install '{entry.spec}': {path_text} {self.missing}")
        rel = _rel(path, self.root)
        if rel == ".":
            return _replace(entry, kind="self", extras=extras)
        return _replace(entry, kind="path", spec=rel, extras=extras, name=name)

    def _inside(self, path: Path) -> bool:
        return Path(os.path.realpath(path)).is_relative_to(self.real_root)


def split_requirement(logical: str) -> tuple[str, tuple[str, ...]]:
    """(requirement, per-line options): pip splits at the first word starting with `-`."""
    words = logical.split(" ")
    cut = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    return " ".join(words[:cut]).strip(), tuple(w for w in words[cut:] if w)


def redact(text: str, lines: tuple[str, ...] | list[str]) -> str:
    """`text` with the values of the ${VAR}s that `lines` name replaced by ****: a tool's
    error message may quote a URL as it used it, credentials expanded."""
    for name in {m.group(0)[2:-1] for line in lines for m in _ENV_VAR.finditer(line)}:
        value = os.environ.get(name)
        if value:
            text = text.replace(value, "****")
    return text


def _option(tokens: list[str]) -> tuple[str, str]:
    """(long option name, its value) of an option line, as pip's optparse reads it."""
    first = tokens[0]
    if first.startswith("--"):
        name, eq, value = first.partition("=")
    elif first[:2] in _SHORT:
        name, eq, value = _SHORT[first[:2]], "", first[2:]
    else:
        return first, ""
    if name in _TAKES_VALUE and not value and not eq:
        value = tokens[1] if len(tokens) > 1 else ""
    return name, value


def _check_credentials(url: str, fail: Callable[[str], BuildFailed]) -> None:
    """A password in a URL must come from the environment (${VAR}, which pip expands), never the file."""
    netloc = urlsplit(url).netloc if "://" in url else ""
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return
    user, colon, password = userinfo.partition(":")
    literal = password if colon else user  # with no password, the user part is the token (https://TOKEN@host)
    if _ENV_VAR.sub("", literal):
        raise fail("a credential is written into the URL; take it from the environment instead, "
                   "as pip expands it: https://user:${INDEX_PASSWORD}@host/simple")


def _looks_like_path(spec: str) -> bool:
    head = spec.split(" ")[0].split(";")[0]
    return head.startswith((".", "/", "~")) or "/" in head or "\\" in head or head.endswith(_ARCHIVES)


def _split_extras(path: str) -> tuple[str, str]:
    match = re.fullmatch(r"(?P<path>.*?)(?P<extras>\[[^\]/]*\])?", path)
    assert match is not None
    return match.group("path"), match.group("extras") or ""


def _name_from_url(url: str) -> str:
    """The project of a bare URL to a wheel or sdist, from its file name."""
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    stem = re.sub(r"(\.tar\.gz|\.tgz|\.zip|\.tar\.bz2|\.tar|\.whl)$", "", filename)
    return canonicalize_name(stem.split("-")[0]) if stem else ""


def _rel(path: Path, root: Path) -> str:
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real.relative_to(top).as_posix() if real.is_relative_to(top) else path.as_posix()


def _replace(entry: Entry, **changes: str) -> Entry:
    return replace(entry, **changes)  # type: ignore[arg-type]


def _marker(spec: str) -> str:
    """The marker after a path or URL (PEP 508 wants whitespace before its `;`)."""
    found = re.search(r"\s;\s*(?P<marker>.+)$", spec)
    return found.group("marker").strip() if found else ""
