"""kind: functions -- a Google Cloud Functions (Python) source zip.

Contract (functions docs, functions-framework-python): main.py and
requirements.txt (listing functions-framework) at the zip's root; the entry
point is a plain function taking a flask.Request, which here routes the
request through the whole Flask app. Limits: 100 MB zipped, 500 MB unzipped.
Smoke runs the real functions-framework in a container built from the zip.
"""

from __future__ import annotations

import ast
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import StringConstraints

from .. import source
from ..pins import FUNCTIONS_FRAMEWORK, GUNICORN
from ..archive import tree_files, write_zip
from ..errors import BuildFailed
from ..fields import EnvVarName, Region
from ..kindbase import TargetSettings

if TYPE_CHECKING:
    from ..buildjob import BuildJob
    from ..record import BuildRecord
    from ..smokerun import SmokeRun

FRAMEWORK_STATIC_URL = "/static"
MAX_ZIPPED = 100 * 1024 * 1024
MAX_UNZIPPED = 500 * 1024 * 1024
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]


class FunctionsSettings(TargetSettings):
    kind: Literal["functions"]
    entry_point: Identifier = "handler"
    region: Region = "us-central1"
    # Where `invoke publish` uploads the zip (GCS JSON API; STORAGE_EMULATOR_HOST is honoured).
    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")] | None = None
    token_env: EnvVarName = "GCS_TOKEN"  # variable holding an OAuth bearer token


class Functions:
    name = "functions"
    settings = FunctionsSettings
    templates = ("functions/main.py.j2", "functions/runner.Dockerfile.j2")
    differences: Mapping[str, str] = {
        "robots.txt": "functions-framework answers /robots.txt (and /favicon.ico) itself with 404 before the app sees it",
    }

    def build(self, job: BuildJob) -> None:
        settings = job.settings
        assert isinstance(settings, FunctionsSettings)
        files = self._contents(job, settings)
        zip_path = job.staging / f"{job.name}.zip"
        digest = write_zip(files, zip_path)
        check_archive(job.name, zip_path, settings.entry_point, job.app.module)
        job.record.archives["zip"] = {"path": f"build/{job.name}.zip", "sha256": digest, "size": zip_path.stat().st_size}
        # The smoke runner is the zip's own contents plus its requirements,
        # installed from the wheelhouse: what the Python runtime does with it.
        unpacked = job.staging / "runner-src"
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(unpacked)
        job.python_image(job.staging / "runner", "functions/runner.Dockerfile.j2", role="runner",
                         extra_requirements=(FUNCTIONS_FRAMEWORK, GUNICORN), src=unpacked, entry_point=settings.entry_point)
        shutil.rmtree(unpacked)

    def _contents(self, job: BuildJob, settings: FunctionsSettings) -> dict[str, bytes]:
        tmp = job.staging / "zip-src"
        source.copy(job.project, tmp)
        files = tree_files(tmp)
        shutil.rmtree(tmp)
        if "main.py" in files:
            raise BuildFailed(f"{job.name}: {job.app.source}/main.py exists, but the functions zip needs main.py for its entry point; rename it")
        if job.app.static is not None and job.app.static_url == FRAMEWORK_STATIC_URL:
            # functions-framework's own Flask app owns /static/<file>, served
            # from ./static, and answers before our entry point runs; ship the
            # app's static files there too so the same URLs give the same bytes.
            prefix = job.app.static.strip("/") + "/"
            for name in [n for n in files if n.startswith(prefix)]:
                files.setdefault("static/" + name[len(prefix):], files[name])
        files["main.py"] = job.render_text("functions/main.py.j2", app=job.app, entry_point=settings.entry_point).encode()
        files["requirements.txt"] = job.requirements((FUNCTIONS_FRAMEWORK, GUNICORN)).encode()
        return files

    def smoke(self, record: BuildRecord, run: SmokeRun) -> None:
        run.serve(record, record.image("runner"), variant="functions-framework", env={"PORT": "8080"},
                  container_port=8080, differences=self.differences)


def check_archive(target: str, zip_path: Path, entry_point: str, module: str) -> None:
    """The zip is within the platform limits and its entry point resolves."""
    zipped = zip_path.stat().st_size
    if zipped > MAX_ZIPPED:
        raise BuildFailed(f"{target}: zip is {zipped / 2**20:.1f} MB, over Cloud Functions' 100 MB limit; trim app.source")
    with zipfile.ZipFile(zip_path) as zf:
        unzipped = sum(info.file_size for info in zf.infolist())
        if unzipped > MAX_UNZIPPED:
            raise BuildFailed(f"{target}: zip unpacks to {unzipped / 2**20:.1f} MB, over Cloud Functions' 500 MB limit; trim app.source")
        names = set(zf.namelist())
        main = zf.read("main.py") if "main.py" in names else b""
    defined = {node.name for node in ast.parse(main).body if isinstance(node, ast.FunctionDef)}
    if entry_point not in defined:
        raise BuildFailed(f"{target}: entry point '{entry_point}' not found in main.py of the zip")
    parts = module.split(".")
    if "/".join(parts) + ".py" not in names and "/".join(parts) + "/__init__.py" not in names:
        raise BuildFailed(f"{target}: the zip has no module '{module}' for main.py to import (excluded from app.source?)")


KIND = Functions()
