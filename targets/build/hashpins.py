"""Hashes for what flaskship adds to a requirements file in pip's hash-checking mode.

Hash-checking mode is all or nothing: once one line has `--hash`, every
requirement pip installs, dependencies included, must be pinned with `==` and
hashed. The app's file covers the app. The platform's server lines (pins.py:
gunicorn, functions-framework) and what they pull in are resolved here with
`uv pip compile --universal --generate-hashes`, constrained to the app's own
pins: universal, so the lines hold on whatever Python and platform installs
the text (an image, or Cloud Functions itself), with every file of each pinned
version hashed (several --hash per line), as pip-compile writes them.

with_wheel_hashes() is for after the download: a wheel that was built on the
host from a verified sdist has bytes no lock can know, so its own sha256 joins
its line.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from .. import trim
from ..files import atomic_write, sha256_file
from .lockfiles import uv_compile
from .reqlines import Expanded, logical_lines, split_requirement

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*===?\s*(?P<version>[^\s;]+)")


def platform_lines(app: Expanded, extra: Sequence[str], root: Path, where: str, python: str,
                   also: str = "", cache: Path | None = None) -> str:
    """`extra` and everything it needs that the app does not pin itself, pinned and hashed,
    for every Python from `python` on; `also`: more pins to hold to (the build's union lock).
    With `cache` (build/.cache), kept in its locks/ by everything resolved, as build/lock.py
    keeps its locks: a build whose inputs did not change needs no uv and no index."""
    if not extra:
        return ""
    pins = tuple(sorted({pin for e in app.entries if e.kind in ("named", "url") if (pin := _constraint(e.spec))}
                        | {line for line in also.splitlines() if line.strip()}))
    constraints = tuple(sorted(str((root / e.spec).resolve()) for e in app.entries if e.kind == "constraint"))
    digest = hashlib.sha256("\0".join(Path(c).read_text(encoding="utf-8") for c in constraints).encode()).hexdigest()
    options = tuple(e.spec for e in app.index)
    blocks = _blocks(_kept(cache, (*extra, *pins, digest, *options, python),
                           lambda: _compile(tuple(extra), pins, constraints, digest, options, python, where)))
    own = set(app.named()) | {canonicalize_name(e.name) for e in app.entries if e.name}
    return "".join(block + "\n" for name, block in blocks if name not in own)


def with_wheel_hashes(text: str, wheels: Sequence[Path]) -> str:
    """`text` with each wheel's own sha256 added to its pinned, hashed line, where the line lacks it.

    Only in hash-checking mode, and only for lines that pin the wheel's very
    version: any other text comes back unchanged.
    """
    have: dict[tuple[str, str], set[str]] = {}
    for wheel in wheels:
        try:
            name, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            continue
        have.setdefault((str(name), str(version)), set()).add("sha256:" + sha256_file(wheel))
    lines = logical_lines(text)
    if not any("--hash=" in logical for _, _, logical in lines):
        return text
    out: list[str] = []
    for _, raw, logical in lines:
        spec, options = split_requirement(logical) if logical and not logical.startswith("-") else ("", ())
        pin = _PIN.match(spec)
        hashes = {o.removeprefix("--hash=") for o in options if o.startswith("--hash=")}
        key = (canonicalize_name(pin.group("name")), pin.group("version")) if pin else None
        missing = sorted(have.get(key, set()) - hashes) if key and hashes else []
        out.append(" \\\n    ".join([spec, *options, *(f"--hash={h}" for h in missing)]) if missing else raw)
    return "\n".join(out) + "\n"


def _constraint(spec: str) -> str:
    """A requirement as a constraint: name, version and marker (constraints take no extras or URLs)."""
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return ""
    if req.url or not req.specifier:
        return ""
    return f"{req.name}{req.specifier}" + (f" ; {req.marker}" if req.marker else "")


def _kept(cache: Path | None, key: tuple[str, ...], compile_: Callable[[], str]) -> str:
    if cache is None:
        return compile_()
    kept = cache / "locks" / f"hashes-{hashlib.sha256(chr(0).join(key).encode()).hexdigest()[:20]}.txt"
    if kept.is_file():
        trim.used(kept)
        return kept.read_text(encoding="utf-8")
    text = compile_()
    kept.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(kept, text)
    return text


@lru_cache(maxsize=16)
def _compile(extra: tuple[str, ...], pins: tuple[str, ...], constraints: tuple[str, ...], digest: str,
             options: tuple[str, ...], python: str, where: str) -> str:
    """uv's hashed lines; cached per process (`digest` stands for the constraint files)."""
    del digest  # part of the cache key only
    with tempfile.TemporaryDirectory(prefix="flaskship-hashes-") as tmp:
        # Outside build/: the index options may name ${VAR}s, which uv expands in memory.
        wanted, pinned = Path(tmp) / "platform.in", Path(tmp) / "app-pins.txt"
        wanted.write_text("".join(f"{line}\n" for line in (*options, *extra)), encoding="utf-8")
        pinned.write_text("".join(f"{line}\n" for line in pins), encoding="utf-8")
        return uv_compile(["--python-version", python, "-c", str(pinned),
                           *(arg for path in constraints for arg in ("-c", path)), str(wanted)],
                          where=where, doing=f"hashing the platform's lines ({', '.join(extra)})", options=options,
                          failed=f"the file uses hashes, so the platform's lines ({', '.join(extra)}) must be "
                                 "hashed too, and cannot be resolved with the app's pins")

def _blocks(text: str) -> list[tuple[str, str]]:
    """uv's output, one block per requirement: its line and its indented --hash lines."""
    blocks: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1].isspace() and blocks:
            name, block = blocks[-1]
            blocks[-1] = (name, block + "\n" + line)
        elif not line.startswith("-"):
            head = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            blocks.append((canonicalize_name(head.group(0)) if head else line, line))
    return blocks


