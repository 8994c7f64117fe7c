"""firebase.json for a cloudrun target: generated, or the user's own; then linted against the app."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ...build import ignore
from ...build.job import APP_DIR
from ...errors import BuildFailed
from ...files import tree_tar
from ...once import once
from ...ui.lines import Detail, notice
from .edge import config, lint
from .settings import CloudRunSettings

if TYPE_CHECKING:
    from ...build.job import BuildJob


def render(job: BuildJob, settings: CloudRunSettings) -> None:
    """firebase.json and public/ (the static files at app.static_url) into the staging folder."""
    app = job.app
    public = job.staging / "public"
    if app.static is not None:
        # Hosting serves exact static files before any rewrite reaches Cloud Run,
        # so public/ gets only what ships: a .env or key file in the static folder
        # must never become a public URL.
        static, leave_out = _shipped_static(job)
        if static.is_dir():
            shutil.copytree(static, public / app.static_url.strip("/"), ignore=leave_out, dirs_exist_ok=True)
    public.mkdir(exist_ok=True)
    if settings.firebase_json is not None:
        own = job.project.root / settings.firebase_json
        try:
            data = json.loads(own.read_text(encoding="utf-8"))
            hosting = config.read(own)
        except config.HostingError as exc:
            raise BuildFailed(f"{job.name}: firebase_json: {exc.message}") from None
        hosting["public"] = "public"
        data["hosting"] = hosting
        (job.staging / "firebase.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return
    job.write("firebase.json", "cloudrun/firebase.json.j2", settings=settings, app=app,
              static_cache_control=job.defaults.static_cache_control, static_sources=static_sources(job))


def _shipped_static(job: BuildJob) -> tuple[Path, Callable[[str, list[str]], set[str]] | None]:
    """The static folder as it ships, and what copytree must still leave out. Inside
    app.source that is the image's copy (the app's ignore files already applied);
    in the split layout (outside it), the folder itself minus flaskship's default exclusions."""
    assert job.app.static is not None
    if not job.app.static_outside_source:
        return job.staging / "image" / "src" / job.app.static, None
    folder = job.project.app_dir / job.app.static

    def leave_out(directory: str, names: list[str]) -> set[str]:
        rel = Path(directory).relative_to(folder).as_posix().removeprefix(".").lstrip("/")
        return {name for name in names
                if ignore.default_excluded(f"{rel}/{name}".lstrip("/"), (Path(directory) / name).is_dir(), False)}

    return folder, leave_out


def static_sources(job: BuildJob) -> list[str]:
    """Globs of the static files: `<static_url>/**`, or each top-level entry when they sit at the site root
    (a `/**` rule would also set the static Cache-Control on every page the app answers)."""
    url = job.app.static_url.rstrip("/")
    if url or job.app.static is None:
        return [f"{url or ''}/**"] if job.app.static is not None else []
    folder = _shipped_static(job)[0]  # as it ships: with what app.build made in it
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    return [f"/{p.name}/**" if p.is_dir() else f"/{p.name}" for p in entries if not p.name.startswith(".")]


def check(job: BuildJob, settings: CloudRunSettings) -> None:
    """Print the lint's warnings (never fails the build: Hosting would deploy it).

    firebase.json is read now, from the staging folder. The part that asks the app
    (0.4 s) needs its venv and code, not the image: it starts as soon as the shared
    stage exists and the code is byte-compiled (BuildJob.on_stage), in a container of
    that stage with the code put in where the image has it, and goes on beside the
    builds (BuildJob.alongside): it only warns, so it need not hold this target's lane."""
    site = config.load(job.staging / "firebase.json", service_id=settings.service_id)
    warnings = [*site.warnings, *lint.service(site.raw, settings.service_id, settings.region), *lint.unreachable(site)]
    _, environment = job.project.environment(None)
    env = {**environment.env, **{name: secrets.token_urlsafe(16) for name in environment.secrets}}
    table = site.table()
    code = next(spec.code for spec in job.images if spec.role == "app")
    assert code is not None

    def probe_and_warn(stage: str, files: bytes) -> None:
        job.progress(Detail(f"  {job.name}: Hosting lint: asking the app for its routes, in {stage} with its code"))
        # Targets whose probe would be the same (one stage, code, entry, public environment,
        # paths and pages: a 16-target manifest's four cloudrun targets) share one run.
        key = ("hosting lint", stage, hashlib.sha256(files).hexdigest(), job.app.entry, sorted(environment.env.items()),
               sorted(environment.secrets), sorted(table), tuple(settings.cdn_pages))
        answers, ended = once(repr(key), lambda: lint.probe(stage, job.name, job.app.entry, env, sorted(table),
                                                            settings.cdn_pages, files=files))
        if answers is None:
            warnings.append("the app's routes could not be listed from the image, so static files were not checked "
                            f"against them: imported in a container of the image (no network, no services), "
                            f"the app {ended}; if it fails so at boot too, smoke will show it")
        else:
            warnings.extend(lint.shadowing(table, answers["routes"]) + lint.caching(answers["pages"]))
            warnings.extend(lint.session_cookie(answers.get("session_cookie"), job.project.app_dir))
        for warning in warnings:
            notice(job.progress, f"  {job.name}: warning: {warning}")

    def start(stage: str) -> None:
        # The code's tar is made now, on the build's thread: the staging folder may have
        # become build/<name>/ by the time the probe runs.
        try:
            files = tree_tar(code, APP_DIR, symlinks=True)
        except ValueError as exc:  # something COPY takes but a tar of files, folders and links does not
            notice(job.progress, f"  {job.name}: warning: the app's routes were not listed, so static files were "
                                 f"not checked against them: {exc}")
            return
        job.alongside(lambda: probe_and_warn(stage, files))

    job.on_stage["app"] = start
