"""invoke doctor: is this machine ready to build, smoke and publish this manifest?

Each check prints one line, `ok`, `warn` or `FAIL`, and, when not ok, how to
fix it. FAIL is for what build or smoke need (the engine, compose, a base
image, disk); warn is for what only deploying or publishing needs. Credential
variables are named, never shown. Exit status is non-zero if anything FAILed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import FlaskshipError
from ..manifest import Project
from . import doctor_checks as checks

MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@dataclass
class Finding:
    state: str  # ok, warn, fail
    topic: str
    text: str
    fix: str = ""


def doctor(project: Project, progress: Callable[[str], None] = print) -> list[Finding]:
    findings: list[Finding] = []

    def report(found: Finding) -> None:
        findings.append(found)
        progress(f"{MARK[found.state]}  {found.topic:<12} {found.text}")
        if found.fix:
            progress(f"      {'':<12} fix: {found.fix}")

    engine = checks.engine()
    report(Finding(*engine))
    report(Finding(*checks.compose()))
    if engine[0] == "ok":
        for found in checks.base_images(project):
            report(Finding(*found))
        for found in checks.python_matches(project):
            report(Finding(*found))
    else:
        report(Finding("warn", "base images", "not checked: the engine is not reachable"))
    for found in checks.disk(project):
        report(Finding(*found))
    for found in checks.firebase(project):
        report(Finding(*found))
    for found in checks.credentials(project):
        report(Finding(*found))
    failed = [f for f in findings if f.state == "fail"]
    warned = [f for f in findings if f.state == "warn"]
    progress(f"doctor: {len(findings) - len(failed) - len(warned)} ok, {len(warned)} warning(s), {len(failed)} problem(s)")
    if failed:
        raise FlaskshipError(f"doctor: {len(failed)} problem(s), first: {failed[0].topic}: {failed[0].text}"
                             + (f"; fix: {failed[0].fix}" if failed[0].fix else ""))
    return findings

