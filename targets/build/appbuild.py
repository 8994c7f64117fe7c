"""app.build: the app's own build step, run before anything ships.

An app's Dockerfile often makes files from its code (microblog's `RUN flask
translate compile` turns .po catalogues into the .mo files Flask-Babel reads,
and its .gitignore leaves them out). Here that command runs once per change of
what it reads, and its result is the code every artifact ships: each image's
src/, the functions zip, and so the static copies nginx and Hosting serve,
which are taken from those (BuildJob.copy_source).

It runs where a Dockerfile's RUN would: in the app's folder, in a container of
the images' own dependency stage (the base, the installed venv,
app.system_packages), so the app's packages are the ones it ships with and the
host needs none of them. It runs offline (containers here reach no index), as
the app's uid, with FLASK_APP set to the entry and the default environment's
plain variables; never a secret. The code goes in and comes out by the engine's
archive API, not a bind mount, so an engine on another host works the same.

Its output is kept in build/.cache/app-build/, keyed by everything it is made
from, so targets that build side by side, and a rebuild with nothing changed,
run it once or not at all.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import time
import uuid
from pathlib import Path

from .. import trim
from ..engine import base_images, docker_client
from ..errors import BuildFailed, FlaskshipError
from ..files import staging_dir, tree_hash, tree_tar
from ..once import once
from ..pins import GUNICORN
from ..records import APP_BUILD
from ..smoke.hints import last_error
from . import images
from .freshness import tool_hash
from .job import APP_DIR, APP_UID, BuildJob

CACHE = "app-build"
TIMEOUT = 600  # seconds: a step that hangs (waiting on a network it has not got) fails the build


def prepare(job: BuildJob) -> None:
    """Set job.built to the code as app.build leaves it; nothing without app.build."""
    command = job.app.build
    if command is None:
        return
    cache = job.project.build_dir / ".cache" / CACHE
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f".work-{uuid.uuid4().hex[:8]}"  # a dot: trim leaves what is being made alone
    try:
        src = work / "src"
        job.copy_source(src)  # the app as it would ship without the step; says what it leaves out
        environment = _environment(job)
        key = _key(job, src, command, environment)
        done = cache / key[:32]
        if not done.is_dir():
            once((CACHE, key), lambda: _run(job, work, src, command, environment, done))
        trim.used(done)
        job.built = done / "src"
        _check_static_file(job)
        _show(job.project.build_dir / APP_BUILD, done, key)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _environment(job: BuildJob) -> dict[str, str]:
    """What the step runs with: the entry, so `flask <command>` finds the app (FLASK_APP
    takes `module:factory(args)` too), and the default environment's plain settings."""
    manifest = job.project.manifest
    chosen = manifest.environments.get(manifest.defaults.environment)
    return {**(dict(chosen.env) if chosen is not None else {}), "FLASK_APP": job.app.entry}


def _key(job: BuildJob, src: Path, command: str, environment: dict[str, str]) -> str:
    """What the step's output is made of: the code, the command and its environment, the
    base image, the locked requirements and Debian packages its venv stage is built from,
    and the tool's own code (which decides how it runs)."""
    base = job.base_image()
    resolved = base_images.resolve(base, job.progress)
    parts = {"code": tree_hash(src, modes=True), "command": command, "environment": environment,
             "base": f"{base}@{base_images.image_id(resolved)}", "requirements": job.requirements((GUNICORN,)),
             "system_packages": list(job.app.system_packages), "build_packages": list(job.app.build_packages),
             "tool": tool_hash(), "python": job.defaults.python}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _run(job: BuildJob, work: Path, src: Path, command: str, environment: dict[str, str], done: Path) -> None:
    """Build the dependency stage (this target's images then find it built), run the
    command in it on a copy of `src`, and keep what it left in `done`/src."""
    # Said once, by the target that got here first, for every target that ships its output.
    job.progress(f"  {job.name}: app.build (once, for every target of this base): {command}")
    spec = job.stage_context(work / "context", src)
    base = base_images.resolve(spec.base, job.progress)
    with images.host_work:
        images.dependencies(job, spec, base)
    stage = images.dependency_stage(job, spec, base, {"BASE_IMAGE": base}, images.stage_key(spec.context, base))
    started = time.monotonic()  # the command's own time: the stage above says what it costs
    try:
        # The code its own uid's, so the step may write in it; links inside it stay links.
        code_tar = tree_tar(src, APP_DIR, symlinks=True, owner=int(APP_UID))
        code, log, collected = docker_client.run_collecting(
            stage, job.name, ["/bin/sh", "-c", command], environment=environment, user=f"{APP_UID}:{APP_UID}",
            timeout=TIMEOUT, network=docker_client.NO_NETWORK, files=code_tar, collect=APP_DIR)
    except FlaskshipError as exc:
        raise BuildFailed(f"{job.name}: app.build: {exc.message.removeprefix(f'{job.name}: ')}", exc.detail) from None
    if code != 0:
        # The app's last exception or click's `Error:` line; else what it said last.
        said = last_error(log) or next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "")
        what = f"exited {code}" if code is not None else f"was still running after {TIMEOUT} s (it gets no network)"
        raise BuildFailed(f"{job.name}: app.build: `{command}` {what}" + (f": {said.rstrip('.')}" if said else "")
                          + "; fix the command in targets.yaml or the app, then build again", log)
    try:
        with staging_dir(done) as staging:
            _unpack(collected, staging / "src")
    except tarfile.FilterError as exc:  # a link or path out of the app's folder
        what = str(exc).replace("'src/", "'", 1)  # named as in the app's folder
        raise BuildFailed(f"{job.name}: app.build: `{command}` left what cannot ship: {what}; have it make files "
                          "inside the app's folder only") from None
    job.progress(f"  {job.name}: app.build: done in {time.monotonic() - started:.1f} s")


def _unpack(archive: bytes, dest: Path) -> None:
    """The engine's tar of APP_DIR (names start with its last part) into `dest`: files,
    folders and links inside it only (tarfile's data filter), and no bytecode, which the
    image build compiles for the base's own Python."""
    top = APP_DIR.rsplit("/", 1)[-1]
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = []
        for member in tar.getmembers():
            parts = member.name.split("/")
            if parts[0] != top or "__pycache__" in parts or member.name.endswith(".pyc"):
                continue
            member.name = "/".join(["src", *parts[1:]]) if len(parts) > 1 else "src"
            members.append(member)
        tar.extractall(dest.parent, members=members, filter="data")
    dest.mkdir(exist_ok=True)


def _check_static_file(job: BuildJob) -> None:
    """smoke.static_file may be one app.build makes: source.check left it to here."""
    app, wanted = job.app, job.project.manifest.smoke.static_file
    if job.built is None or not wanted or app.static is None or app.static_outside_source:
        return
    if not (job.built / app.static / wanted).is_file():
        raise BuildFailed(f"{job.project.path.name}: smoke.static_file: {app.source}/{app.static}/{wanted} "
                          "does not exist, nor did app.build make it; name a file the app ships")


def _show(shown: Path, done: Path, key: str) -> None:
    """build/.app-build/ as `done` (the output of `key`), replaced whole, unless it is that already."""
    if (shown / "key").is_file() and (shown / "key").read_text(encoding="utf-8") == key:
        return
    with staging_dir(shown) as staging:
        shutil.copytree(done / "src", staging / "src", symlinks=True)
        (staging / "key").write_text(key, encoding="utf-8")
