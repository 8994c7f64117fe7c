"""A locked requirements text, as it applies to one target: its Python, its platform.

pip evaluates environment markers for the Python it runs on, even for
`pip download --python-version X --platform Y` (pip issue #11664), so on the
host `foo ; python_version >= "3.12"` would be skipped for a 3.12 image, and a
Windows-only line would be evaluated for the host. A complete, hashed lock
(build/lock.py) needs no resolver: its lines are evaluated here, for the
target, and what applies is downloaded with `--no-deps`. Pure: no pip, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .base_images import Runtime

_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's rule: `#` at the start or after whitespace


@dataclass(frozen=True)
class Line:
    name: str  # canonical
    spec: str  # without its marker: `crcmod==1.7`, `name @ https://...`
    hashes: tuple[str, ...]  # its --hash=... options, as written

    @property
    def text(self) -> str:
        return " ".join([self.spec, *self.hashes])


def environment(runtime: Runtime) -> dict[str, str]:
    """PEP 508 marker variables of a CPython on Linux, as the base image reports them."""
    machine = runtime.platforms[0].split("_", 3)[3]
    full = runtime.full or f"{runtime.python}.0"
    return {"python_version": runtime.python, "python_full_version": full, "implementation_version": full,
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "os_name": "posix",
            "sys_platform": "linux", "platform_system": "Linux", "platform_machine": machine,
            "platform_release": "", "platform_version": "", "extra": ""}


def logical(text: str) -> list[str]:
    """pip's logical lines: joined on a trailing backslash, comments dropped, blanks left out."""
    joined = re.sub(r"\\\r?\n", " ", text)
    return [line for line in (_COMMENT.sub("", raw).strip() for raw in joined.splitlines()) if line]


def is_lock(text: str) -> bool:
    """Hash-checking mode: every requirement pinned and hashed, so nothing is left to resolve."""
    requirements = [line for line in logical(text) if not line.startswith("-")]
    return bool(requirements) and all("--hash=" in line for line in requirements)


def for_target(text: str, runtime: Runtime) -> tuple[list[str], list[Line], list[str]]:
    """(option lines, the requirements that apply to `runtime`, the names of those that do not)."""
    env = environment(runtime)
    options: list[str] = []
    applies: list[Line] = []
    skipped: list[str] = []
    for line in logical(text):
        if line.startswith("-"):
            options.append(line)
            continue
        words = line.split()
        cut = next((i for i, word in enumerate(words) if word.startswith("-")), len(words))
        spec, rest = " ".join(words[:cut]), tuple(words[cut:])
        try:
            requirement = Requirement(spec)
            keep = requirement.marker is None or requirement.marker.evaluate(env)
        except (InvalidRequirement, InvalidMarker):
            applies.append(Line("", spec, rest))  # pip will say what is wrong with it
            continue
        name = canonicalize_name(requirement.name)
        if not keep:
            skipped.append(name)
            continue
        requirement.marker = None
        applies.append(Line(name, str(requirement), rest))
    return options, applies, skipped


def marker_holds(marker: str, runtime: Runtime) -> bool:
    return Marker(marker).evaluate(environment(runtime))
