"""build/junit.xml from smoke.json: one testsuite per target, one testcase per
check and variant, so CI (GitHub, GitLab, Jenkins) lists every check as a test.

A declared platform difference is a skipped test with its reason, never a pass
that hides it nor a failure that is not one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from ..files import atomic_write
from ..manifest import Project
from .rows import read_json

JUNIT = "junit.xml"


def document(report: dict[str, Any], names: Iterable[str]) -> str:
    suites = ET.Element("testsuites", name="flaskship smoke")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for name in names:
        entry = report.get("targets", {}).get(name)
        if entry is None:
            continue
        results = entry.get("results", [])
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(results)),
                              failures=str(sum(r["status"] == "fail" for r in results)),
                              skipped=str(sum(r["status"] == "differs" for r in results)))
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="env", value=str(entry.get("env", "")))
        for result in results:
            case = ET.SubElement(suite, "testcase", classname=f"{name}.{result['variant']}", name=result["check"])
            if result["status"] == "fail":
                message = f"expected {result['expected']}; got {result['got']}"
                ET.SubElement(case, "failure", message=message, type="SmokeCheck").text = message
            elif result["status"] == "differs":
                ET.SubElement(case, "skipped", message=f"differs by platform: {result.get('note', '')}")
        for key in totals:
            totals[key] += int(suite.get(key) or 0)
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def stamp(project: Project) -> int | None:
    """When build/smoke.json was last written (None: never)."""
    try:
        return (project.build_dir / "smoke.json").stat().st_mtime_ns
    except OSError:
        return None


def write(project: Project, names: Iterable[str]) -> None:
    """Write build/junit.xml for the targets just smoked (whatever the outcome)."""
    report = read_json(project.build_dir / "smoke.json")
    if project.build_dir.is_dir():
        atomic_write(project.build_dir / JUNIT, document(report, list(names)))
