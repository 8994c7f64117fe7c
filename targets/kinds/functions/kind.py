"""functions: render the zip, build its runner, smoke, upload and deploy (contract: __init__.py)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from ...build import code
from ...build.images import build_images
from ...errors import BuildFailed, PublishFailed
from ...pins import FRAMEWORK_NEEDS_FLASK_2, FUNCTIONS_FRAMEWORK, GUNICORN, flask_before_2
from ...publish.steps import Step
from ...records import BuildRecord
from ..base import TargetSettings
from ..container import gcloud_env_flag, shell
from . import gcs
from .archive import tree_files, write_zip
from .entry import ENTRY_MAIN, entry_file, render_entry
from .settings import FunctionsSettings

if TYPE_CHECKING:
    from ...build.job import BuildJob
    from ...publish.steps import Deploy, PublishContext
    from ...smoke.session import SmokeRun

FRAMEWORK_STATIC_URL = "/static"
RUNNER_CODE = "runner-code"  # the zip's files, byte-compiled: what the runner's containers get at start
STOP_GRACE = 10
# 2nd gen instances run on Cloud Run, under its default startup probe (240 s: cloudrun/kind.py).
BOOT_LIMIT = 240
MAX_ZIPPED = 100 * 1024 * 1024
MAX_UNZIPPED = 500 * 1024 * 1024


class Functions:
    name = "functions"
    templates = ("functions/main.py.j2", "functions/runner.Dockerfile.j2")
    # By request path: functions-framework answers these itself, before the app sees them.
    differences: Mapping[str, str] = {
        "/robots.txt": "functions-framework answers /robots.txt itself with 404 before the app sees it",
        "/favicon.ico": "functions-framework answers /favicon.ico itself with 404 before the app sees it",
    }

    def render(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, FunctionsSettings)
        files, entry = self._contents(job, settings)
        zip_path = job.staging / f"{job.name}.zip"
        digest = write_zip(files, zip_path)
        check_archive(job.name, zip_path, settings.entry_point, job.app.module, entry)
        # `source` travels to publish, whose deploy command must name a non-default entry file.
        job.record.archives["zip"] = {"path": f"build/{job.name}.zip", "sha256": digest,
                                      "size": zip_path.stat().st_size, "source": entry}
        # The smoke runner is the Python runtime: the zip's requirements, installed
        # from the wheelhouse, with functions-framework in a layer of its own on top
        # of the dependency layer the other images of this base share. Like the
        # platform, smoke unpacks the zip onto it: its containers get runner-code/
        # at start (build/code.py), so the image does not change with the app.
        unpacked = job.staging / RUNNER_CODE
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(unpacked)
        job.python_context(job.staging / "runner", "functions/runner.Dockerfile.j2", role="runner",
                           extra_requirements=(GUNICORN,), platform_requirements=(FUNCTIONS_FRAMEWORK,), src=unpacked,
                           code_in_image=False, entry_point=settings.entry_point, source=entry, prestart_script=False)

    def _contents(self, job: BuildJob, settings: FunctionsSettings) -> tuple[dict[str, bytes], str]:
        """The zip's files (name -> bytes), and the name of the entry module among them."""
        tmp = job.staging / "zip-src"
        job.copy_source(tmp)
        files = tree_files(tmp)
        shutil.rmtree(tmp)
        entry = entry_file(job.name, files)  # main.py, unless the app has its own
        if job.app.static is not None and job.app.static_url == FRAMEWORK_STATIC_URL:
            # functions-framework's own Flask app owns /static/<file>, served
            # from ./static, and answers before our entry point runs; ship the
            # app's static files there too so the same URLs give the same bytes.
            prefix = job.app.static.strip("/") + "/"
            for name in [n for n in files if n.startswith(prefix)]:
                files.setdefault("static/" + name[len(prefix):], files[name])
        files[entry] = render_entry(job.app.entry, settings.entry_point, job.app.prestart).encode()
        requirements = job.requirements((FUNCTIONS_FRAMEWORK, GUNICORN))
        _framework_runs_on(job.name, requirements)
        files["requirements.txt"] = requirements.encode()
        return files, entry

    def build(self, job: BuildJob) -> None:
        build_images(job)

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        # Cloud Functions has no release phase: app.release runs once, as a deploy
        # step would, in a container of its own before the function serves.
        # Services through the variables the manifest names, as `--set-secrets` would set them.
        services = run.service_env(record.target)
        files = code.for_container(run.project.build_dir, record, "runner")
        if not run.release(record, record.image("runner"), env=services, files=files):
            return
        # Cloud Functions (2nd gen) instances run on Cloud Run: SIGTERM, then SIGKILL 10 s later.
        run.serve(record, record.image("runner"), variant="functions-framework", env={"PORT": "8080", **services},
                  container_port=8080, differences=self.differences, stop_within=STOP_GRACE, stop_grace=STOP_GRACE,
                  boot_limit=BOOT_LIMIT,
                  files=files, slow_stop=_slow_stop(run.project.build_dir / f"{record.target}.zip"))

    def publish_steps(self, name: str, settings: TargetSettings, record: BuildRecord, label: str) -> list[Step]:
        assert isinstance(settings, FunctionsSettings)
        if not settings.bucket:
            raise PublishFailed(f"{label}: targets.{name}.bucket is not set; name the bucket to upload to")
        archive = record.archives["zip"]
        obj = f"{name}-{str(archive['sha256'])[:16]}.zip"
        return [Step(name, settings.kind, str(archive["path"]), f"gs://{settings.bucket}/{obj}", settings.token_env,
                     "zip", str(archive["sha256"]), keep={"source": str(archive.get("source", ENTRY_MAIN))})]

    def publish(self, step: Step, ctx: PublishContext) -> dict[str, Any]:
        token = os.environ.get(step.variable)
        if not token:
            raise PublishFailed(f"{step.target}: ${step.variable} is not set; export it (it holds the credentials for {step.where})")
        bucket, _, obj = step.where.removeprefix("gs://").partition("/")
        sent = gcs.upload(ctx.project.root / step.what, bucket, obj, token, step.variable, step.target)
        ctx.progress(f"{step.target}: {'uploaded' if sent else 'already present:'} {step.where}")
        return {"object": step.where, "sha256": step.sha256, **step.keep}

    def deploy_commands(self, name: str, settings: TargetSettings, entry: Mapping[str, Any],
                        deploy: Deploy) -> list[str]:
        assert isinstance(settings, FunctionsSettings)
        runtime = "python" + deploy.python.replace(".", "")
        note = [f"# Cloud Functions has no release phase: run {shell(deploy.release)} once against the "
                "production services before this deploy"] if deploy.release else []
        # The Python runtime imports main.py unless the build-time variable
        # GOOGLE_FUNCTION_SOURCE names the file (Google's buildpacks: README.md,
        # "Functions Framework buildpacks"; pkg/env/env.go FunctionSource, which
        # cmd/python/functions_framework checks exists and passes on as FUNCTION_SOURCE,
        # functions-framework's --source).
        source = str(entry.get("source", ENTRY_MAIN))
        build_env = () if source == ENTRY_MAIN else ("--set-build-env-vars", f"GOOGLE_FUNCTION_SOURCE={source}")
        return [*note, shell("gcloud", "functions", "deploy", name, "--runtime", runtime, "--region", settings.region,
                      "--source", entry["object"], "--entry-point", settings.entry_point, "--trigger-http",
                      *build_env, *gcloud_env_flag(deploy.env))]


def check_archive(target: str, zip_path: Path, entry_point: str, module: str, entry: str = ENTRY_MAIN) -> None:
    """The zip is within the platform limits and its entry point (in the file `entry`) resolves."""
    zipped = zip_path.stat().st_size
    if zipped > MAX_ZIPPED:
        raise BuildFailed(f"{target}: zip is {zipped / 2**20:.1f} MB, over Cloud Functions' 100 MB limit; trim app.source")
    with zipfile.ZipFile(zip_path) as zf:
        unzipped = sum(info.file_size for info in zf.infolist())
        if unzipped > MAX_UNZIPPED:
            raise BuildFailed(f"{target}: zip unpacks to {unzipped / 2**20:.1f} MB, over Cloud Functions' 500 MB limit; trim app.source")
        names = set(zf.namelist())
        main = zf.read(entry) if entry in names else b""
    defined = {node.name for node in ast.parse(main).body if isinstance(node, ast.FunctionDef)}
    if entry_point not in defined:
        raise BuildFailed(f"{target}: entry point '{entry_point}' not found in {entry} of the zip")
    parts = module.split(".")
    if "/".join(parts) + ".py" not in names and "/".join(parts) + "/__init__.py" not in names:
        raise BuildFailed(f"{target}: the zip has no module '{module}' for {entry} to import (excluded from app.source?)")


KIND = Functions()


def _locked(name: str, requirements: str) -> str | None:
    """The release of `name` a lock's text pins (`name==X`, the line's start), or None."""
    found = re.search(rf"^\s*{re.escape(name)}\s*===?\s*(?P<version>[0-9][0-9A-Za-z.+!]*)", requirements, re.I | re.M)
    return found["version"] if found else None


# Measured in this runner with one kept-alive connection open (smoke's, or a front end's):
# docker stop took 1.42 s on gunicorn 23.0.0, and on 24.1.1, 25.0.3, 25.3.0, 26.2.0 and 27.0.1
# the full 15 s grace, then SIGKILL. functions-framework runs gunicorn with settings of its own,
# so the generated gunicorn.conf.py, whose hook makes 24 and later stop at once, is not there.
KEEPS_WAITING_FROM = Version("24")


def _slow_stop(archive: Path) -> str:
    """Why the function may outlast SIGTERM: the gunicorn the zip locks, when it is 24 or later."""
    try:
        with zipfile.ZipFile(archive) as zf:
            return slow_stop_of(zf.read("requirements.txt").decode("utf-8", "replace"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return ""


def slow_stop_of(requirements: str) -> str:
    """The same of a lock's text (init says it before the first build)."""
    pinned = _locked("gunicorn", requirements)
    try:
        version = Version(pinned) if pinned else None
    except InvalidVersion:
        return ""
    if version is None or version < KEEPS_WAITING_FROM:
        return ""
    return (f"the lock has gunicorn {version}: under functions-framework, gunicorn 24 and later wait on SIGTERM "
            "while a kept-alive connection stays open (23.0.0 exits at once), and the platform kills the instance "
            "10 s later; pin gunicorn<24 in the app's requirements for a clean stop")


def _framework_runs_on(target: str, requirements: str) -> None:
    """Refuse a lock whose Flask functions-framework cannot import (pins.FRAMEWORK_NEEDS_FLASK_2):
    a zip built on it would die at import on the platform, found only when smoke boots it."""
    pinned = _locked("flask", requirements)
    if pinned is not None and flask_before_2(pinned):
        raise BuildFailed(f"{target}: the lock has Flask {pinned}; {FRAMEWORK_NEEDS_FLASK_2}, so neither "
                          "Google's runtime nor smoke could start this function: pin Flask>=2.0 in the app's "
                          "requirements, or drop the functions target")
