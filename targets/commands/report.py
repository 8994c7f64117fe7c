"""invoke report: build/report.html from the records, with image sizes read from the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from ..engine import base_images, docker_client
from ..errors import FlaskshipError, RecordError
from ..files import atomic_write
from ..manifest import Project
from ..records import BuildRecord
from ..report.charts import Part
from ..report.html import Figures, page
from ..report.rows import read_json

REPORT = "report.html"


def report(project: Project, progress: Callable[[str], None] = print) -> Path:
    build = project.build_dir
    if not build.is_dir():
        raise RecordError(f"{build} does not exist: nothing to report yet; run `invoke build` and `invoke smoke` first")
    figures = Figures()
    records = _records(project)
    try:
        figures.sizes = _sizes(project, records)
    except FlaskshipError as exc:
        figures.notes.append(f"image sizes are missing: {exc.message}")
    figures.build_times = _build_times(project, records)
    html = page(f"flaskship: {project.root.name}", _smoked(project), read_json(build / "release.json"),
                figures, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    atomic_write(build / REPORT, html)
    progress(f"wrote {build / REPORT} ({len(html.encode()) / 1e3:.1f} kB; open it in any browser, offline)")
    return build / REPORT


def _smoked(project: Project) -> dict:
    """build/smoke.json with this manifest's targets only. smoke.json keeps the last verdict
    of a target the manifest no longer names (another manifest in this folder, such as a
    `--manifest staging.yaml`, may still name it and publish by it), but a report of this
    manifest would show a removed target as still passing."""
    smoke = read_json(project.build_dir / "smoke.json")
    entries = smoke.get("targets")
    if isinstance(entries, dict):
        smoke = {**smoke, "targets": {name: entry for name, entry in entries.items() if name in project.manifest.targets}}
    return smoke


def _records(project: Project) -> dict[str, BuildRecord]:
    found = {}
    for name in sorted(project.manifest.targets):
        try:
            found[name] = BuildRecord.load(project.build_dir, name)
        except RecordError:
            continue
    return found


def _sizes(project: Project, records: dict[str, BuildRecord]) -> list[tuple[str, float, float]]:
    manifest = project.manifest
    rows = []
    for name, record in records.items():
        for role, image in sorted(record.images.items()):
            if not base_images.exists(image["id"]):
                continue
            total = docker_client.image_size(image["id"])
            ref = manifest.defaults.nginx_image if role == "nginx" else (
                project.target(name).base_image or manifest.base_image())
            base_id = base_images.local_id(ref)
            base = docker_client.image_size(base_id) if base_id else 0
            label = name if role == "app" else f"{name} {role}"
            rows.append((label, base / 1e6, max(total - base, 0) / 1e6))
    return rows


def _build_times(project: Project, records: dict[str, BuildRecord]) -> list[tuple[str, list[Part]]]:
    rows: list[tuple[str, list[Part]]] = []
    # invoke bench's medians for all targets, ours beside the naive arm's (commands/bench.py).
    build = (read_json(project.build_dir / "bench.json").get("figures") or {}).get("build") or {}
    for key, label in (("cold", "cold"), ("noop", "no-op"), ("edit", "after an edit")):
        for arm, who in (("ours", "flaskship"), ("naive", "naive Dockerfiles")):
            median = ((build.get(arm) or {}).get(key) or {}).get("median")
            if isinstance(median, (int, float)):
                rows.append((f"all targets, {label}: {who}", [(f"bench: {label}", float(median))]))
    for name, record in records.items():
        if record.seconds:
            rows.append((f"{name}: last build", [("last build", record.seconds)]))
    return rows
