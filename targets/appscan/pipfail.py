"""What a failed `pip install` of the app's dependencies says, in one line with the fix.

pip's own output ends with a compiler's errors and a generic "Could not build
wheels" line when a pinned release has no wheel for this Python and its sdist
does not build (an old psycopg2 on 3.11). The line worth reading names the
package, its pin (as deps.pins reads the app's file) and the Pythons the index has wheels for; the full output is
kept in a log file for whoever wants the compiler's view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.utils import canonicalize_name

from .. import wheel_index
from ..build.lockfiles import BUILD_ERROR
from ..debian import NO_LINUX_WHEELS
from . import natives

# pip 23 and older: "Failed building wheel for X"; pip 24 and newer: "Failed to build X"
# or "Failed to build installable wheels for some pyproject.toml based projects (X, Y)".
_FAILED = (re.compile(r"Failed building wheel for ([A-Za-z0-9._-]+)"),
           re.compile(r"Failed to build installable wheels for some pyproject\.toml based projects \(([^)]+)\)"),
           re.compile(r"ERROR: Failed to build (?!installable wheels)([A-Za-z0-9._-]+)"))
# What pip says about the failure, as opposed to the build's own output (compiler lines).
_SUMMARY = ("ERROR:", "×", "╰─>", "note:", "hint:")


# pip's other two ways of saying a package's sdist would not build: a legacy `setup.py
# install` that failed ("× Encountered error while trying to install package. ╰─> psycopg2"),
# and a setup.py that failed before any build ("...generating package metadata. ╰─> See above
# for output."), which names nothing: the package is the one pip was collecting then.
_INSTALL_FAILED = re.compile(r"Encountered error while trying to install package\.\s*\n\s*╰─> ([A-Za-z0-9._-]+)")
# pip 23.1 and newer say the latter two for a PEP 517 build (PowerDNS-Admin's mysqlclient).
_METADATA_FAILED = ("Encountered error while generating package metadata",
                    "Getting requirements to build wheel did not run successfully",
                    "Preparing metadata (pyproject.toml) did not run successfully")
_COLLECTING = re.compile(r"^\s*Collecting ([A-Za-z0-9._-]+)", re.M)


def failed_builds(output: str) -> list[str]:
    """The distributions pip could not build a wheel for, in the order it named them."""
    found = [name for pattern in (*_FAILED, _INSTALL_FAILED) for match in pattern.finditer(output)
             for name in match.group(1).split(",")]
    at = min((spot for marker in _METADATA_FAILED if (spot := output.find(marker)) >= 0), default=-1)
    collecting = _COLLECTING.findall(output[:at]) if at >= 0 else []
    if collecting:
        found.append(collecting[-1])
    names: list[str] = []
    for name in (n.strip() for n in found):
        if name and canonicalize_name(name) not in map(canonicalize_name, names):
            names.append(name)
    return names


def summary(output: str) -> list[str]:
    """pip's own lines about the failure, without the build's output, at most 8."""
    lines = [line.strip() for line in output.splitlines() if line.strip().startswith(_SUMMARY)]
    return list(dict.fromkeys(lines))[-8:]


# urllib3's words when pip could not connect to the index at all: pip then reports each
# requirement as having no release ("from versions: none"), which reads as a wrong pin.
_UNREACHABLE = re.compile(r"NewConnectionError\('[^:]*: (?:Failed to establish a new connection: )?(?P<why>[^']+)'"
                          r"|ConnectTimeoutError\([^,]*, '(?P<timeout>[^']+)'")


def unreachable(output: str) -> str | None:
    """One line when pip found no release because it could not reach the index; else None."""
    connection = _UNREACHABLE.search(output)
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if connection is None or missing is None:
        return None
    why = connection.group("why") or connection.group("timeout")
    return (f"pip could not reach the package index ({why}), so it found no release of {missing.group(1)}; "
            "check the index the app's requirements name (a lock file's source URL, an --index-url line) "
            "and this machine's network or proxy")


def headline(output: str) -> str | None:
    """The line that says what failed: pip's last ERROR, else its last `×` line (a build or a
    git clone that failed), never its closing "note: This error originates from a subprocess";
    an index pip could not reach, when that is why it found nothing."""
    offline = unreachable(output)
    if offline:
        return offline
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for mark in ("ERROR:", "× "):
        found = [line for line in lines if line.startswith(mark)]
        if found:
            # git says why it failed on a `fatal:` line (a host it cannot reach, a ref that is gone).
            why = [line for line in lines if line.startswith("fatal: ")]
            return found[-1].removeprefix("× ") + (f" ({why[-1]})" if why and mark == "× " else "")
    return None


def explain(output: str, pins: Iterable[str], python: str, cache_dir: Path | None) -> str | None:
    """One line for a failed wheel build, with the fix; None when pip failed for another reason.
    `pins`: the app's `name==version` requirements (deps.pins). A release that has wheels for
    other Pythons is told to pin one with a wheel for this; one with no Linux wheel for any
    Python (jsmin, psycopg2) cannot be, and is told to pin a release whose source builds,
    with the build's own error, which pip's summary leaves out."""
    names = failed_builds(output)
    if not names:
        return None
    by_name = {canonicalize_name(found[0]): spec for spec in pins if (found := wheel_index.pinned(spec))}
    later = _sources_next(by_name, names, python, cache_dir)
    # Packages this host lacks for a source build: no other pin would build here either.
    lacking = natives.missing_on_host([*names, *(named[0] for pin in later if (named := wheel_index.pinned(pin)))])
    wheeled, unwheeled = [], []
    for name in names:
        pin = by_name.get(canonicalize_name(name))
        if lacking and set(natives.BUILD_NEEDS.get(canonicalize_name(name), ())) & set(lacking):
            unwheeled.append(f"{pin or name} has no wheel for Python {python} and its source needs Debian "
                             f"packages this host lacks")
            continue
        have = wheel_index.wheel_pythons(pin, cache_dir) if pin else None
        never = canonicalize_name(name) in NO_LINUX_WHEELS or (
            have == [] and pin is not None and wheel_index.older_wheels(pin) is None)
        if never:
            unwheeled.append(f"{pin or name} has no Linux wheel for any Python and its source did not build on "
                             f"Python {python}")
            continue
        index = ("" if have is None else f" (the index has wheels for Python {', '.join(have)})" if have
                 else f" (the index has none for Python {wheel_index.PYTHONS[0]}-{wheel_index.PYTHONS[-1]})")
        wheeled.append(f"{pin or name} has no wheel for Python {python}{index} and did not build from source")
    cause = build_error(output)
    said = f" ({cause})" if cause else ""
    fixes = ([f"{'; '.join(wheeled)}; pin a release that has a wheel for Python {python}"] if wheeled else []) + (
        [f"{'; '.join(unwheeled)}{said}" + ("" if lacking else
                                            f"; pin a release whose source builds on Python {python} (usually a newer one)")]
        if unwheeled else [])
    if later:
        # pip stops at the first build that fails: realworld's stale lock took six init runs, one
        # package each. The others it would build from source are named now, to fix at once.
        fixes.append(f"not tried yet, also with no wheel for Python {python}: {', '.join(later)}")
    if lacking:
        fixes.append(f"init's probe installs the app on this host, so install what their builds need here, then run "
                     f"init again: apt-get install {' '.join(lacking)} (the images' builder gets them from "
                     "app.build_packages, which init writes)")
    return "; ".join(fixes)


def _sources_next(by_name: dict[str, str], failed: list[str], python: str, cache_dir: Path | None) -> list[str]:
    """The app's other pins the index has no wheel for `python` of (pip would build them from source)."""
    done = {canonicalize_name(name) for name in failed}
    pins = [pin for name, pin in sorted(by_name.items()) if name not in done]
    with ThreadPoolExecutor(max_workers=8) as pool:  # one index request each, on a cold cache
        lacking = list(pool.map(lambda pin: wheel_index.lacks_wheel(pin, python, cache_dir), pins))
    return [pin for pin, lacks in zip(pins, lacking, strict=True) if lacks]


# A line of a build's own output that says what failed: a compiler's (file:line: error: ...),
# else setuptools' or an exception's (lockfiles.BUILD_ERROR, as uv's failures are read).
_COMPILER = re.compile(r":\d+:\d+: (?:fatal )?error: ")


def build_error(output: str) -> str:
    """The failed build's own error line, inside pip's `[N lines of output]` block; "" if none."""
    inside, lines = False, []
    for line in output.splitlines():
        text = line.strip()
        if text.startswith("╰─> [") and "lines of output" in text:
            inside = True
        elif text == "[end of output]":
            inside = False
        elif inside and text:
            lines.append(text)
    compiler = next((text for text in lines if _COMPILER.search(text)), None)
    raised = [text for text in lines if BUILD_ERROR.match(text)]
    found = compiler or (raised[-1] if raised else "")
    return found[:200]
