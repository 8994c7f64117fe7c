"""Rows for each task: compare the records before and after the run."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..manifest import Project
from .rows import Row, artifacts, boot_seconds, build_record, failed_target, read_json

SMOKE = "smoke.json"


def snapshot(task: str, project: Project, names: list[str]) -> dict[str, Any]:
    """What the records said before the run, to tell what this run changed."""
    if task == "build":
        return {n: _record_bytes(project, n) for n in names}
    if task == "smoke":
        path = project.build_dir / SMOKE
        return {"mtime": path.stat().st_mtime_ns if path.exists() else None}
    return {}


def _record_bytes(project: Project, name: str) -> bytes | None:
    try:
        return (project.build_dir / name / "build.json").read_bytes()
    except OSError:
        return None


def rows(task: str, project: Project, names: list[str], before: dict[str, Any],
         error: BaseException | None, result: Any = None) -> list[Row]:
    made = {"build": _build, "smoke": _smoke, "publish": _publish}[task]
    failures = _failures(error, names)
    return [made(project, name, before, error, failures.get(name), result) for name in names]


def _failures(error: BaseException | None, names: list[str]) -> dict[str, str]:
    """Each target that failed, with its own reason: the one the error names, and every
    one that failed in the same run (FlaskshipError.also, commands/fanout.py)."""
    culprit = failed_target(error, names)
    also = getattr(error, "also", {})
    failed = {culprit: getattr(error, "message", "") or str(error)} if culprit is not None else {}
    return {name: message.removeprefix(f"{name}: ") for name, message in {**also, **failed}.items()}


def _build(project: Project, name: str, before: dict[str, Any], error: BaseException | None, failure: str | None,
           result: Any) -> Row:
    kind = project.target(name).kind
    if failure is not None:
        return Row(name, kind, "FAIL", reason=failure)
    record = build_record(project, name)
    if record is None:
        return Row(name, kind, "not built")
    moved = before.get(name) != _record_bytes(project, name)  # a rebuild rewrites it (its time, its image ids)
    verdict = "built" if moved else ("up to date" if error is None else "not built")
    return Row(name, kind, verdict, artifacts(record), *((record.seconds, "build") if moved else (None, "")))


def _smoke(project: Project, name: str, before: dict[str, Any], error: BaseException | None, failure: str | None,
           result: Any) -> Row:
    kind = project.target(name).kind
    path = project.build_dir / SMOKE
    rewritten = path.exists() and path.stat().st_mtime_ns != before.get("mtime")
    entry = read_json(path).get("targets", {}).get(name) if rewritten else None
    record = build_record(project, name)
    found = artifacts(record) if record else []
    if entry is None or failure is not None:  # this run's own error for it wins over any entry
        return Row(name, kind, "not run" if failure is None else "FAIL", found, reason=failure or "")
    results = entry.get("results", [])
    failed = [r for r in results if r.get("status") == "fail"]
    if failed:
        first = failed[0]
        why = f"[{first['variant']}] {first['check']}: expected {first['expected']}; got {first['got']}"
        # One line a target: its first failure in full, and the others named, so that the lines add
        # up to the count smoke's error gives (searxng's functions failed a static check and sigterm-stop).
        others = Counter(f"[{r['variant']}] {r['check']}" for r in failed[1:])
        named = ", ".join(name + (f" ({count}x)" if count > 1 else "") for name, count in others.items())
        why += f" (and {len(failed) - 1} more: {named})" if others else ""
        return Row(name, kind, "FAIL", found, boot_seconds(results), "boot", why)
    verdict = "cached" if entry.get("cached") else "pass"
    if entry.get("same_as"):  # its original's run, not one of its own: no boot of its own to time
        return Row(name, kind, verdict, found, None, f"run as {entry['same_as']}")
    return Row(name, kind, verdict, found, boot_seconds(results), "boot")


def _publish(project: Project, name: str, before: dict[str, Any], error: BaseException | None, failure: str | None,
             result: Any) -> Row:
    kind = project.target(name).kind
    if failure is not None or not isinstance(result, dict):
        return Row(name, kind, "not published" if failure is None else "FAIL", reason=failure or "")
    if "plan" in result:  # --dry-run
        planned = [step for step in result["plan"] if step["target"] == name]
        problems = [p for step in planned for p in step.get("problems", [])]
        return Row(name, kind, "FAIL" if problems else "would push", [
            {"role": step["role"], "ref": ", ".join(step["tags"]), "size": step.get("size")} for step in planned],
            reason="; ".join(problems))
    entry = result.get("targets", {}).get(name, {})
    record = build_record(project, name)
    found = artifacts(record) if record else []
    for artifact in found:
        role = artifact["role"]
        artifact["published"] = entry.get("object") if role == "zip" else entry.get("image" + ("" if role == "app" else f"_{role}"))
    # What stays local (the functions runner image) is not part of a release.
    return Row(name, kind, "published", [a for a in found if a["published"]], entry.get("seconds"), "push")
