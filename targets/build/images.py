"""Build every image a kind's render() declared: base resolved, wheels matched, labelled.

Targets build on threads of their own (--jobs). What they share is done once:
the host's wheel work runs one at a time (the wheelhouse cache is keyed, not
locked), and each dependency stage (one base, one requirement set) is built
once, alone, before any image that uses it: images that then build side by
side all find it in the engine's cache, so they share one dependency layer
instead of racing to make two.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..engine import base_images, bytecode, docker_client, sbom, venv, wheelhouse
from ..engine.builder import BuildBase
from ..files import link_or_copy, sha256_file, ship_modes, tree_hash
from ..once import once
from ..ui.lines import Detail, notice
from . import requirements as app_requirements
from .freshness import tool_hash
from .job import APP_DIR, BuildJob, ImageSpec

# The stage of python.Dockerfile.j2 that holds the base plus the installed venv:
# every image of one base and requirement set starts from it. A functions runner
# starts from the platform stage on top of it (functions-framework's layer).
VENV_STAGE = "venv"
host_work = threading.Lock()


def build_images(job: BuildJob) -> None:
    """Build the target's images side by side (compose: web and nginx); record them in order."""
    if len(job.images) == 1:
        built = [build_one(job, job.images[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(job.images), thread_name_prefix=f"flaskship-{job.name}") as pool:
            futures = [pool.submit(build_one, job, spec) for spec in job.images]
        built = [future.result() for future in futures]  # the first failure, in declared order
    for spec, (image, key) in zip(job.images, built, strict=True):
        job.record.images[spec.role] = {"ref": spec.tag, "id": image, "key": key,
                                        "context": spec.context.relative_to(job.staging).as_posix()}
        if spec.code_at_start and spec.code is not None:  # what its containers get at start (code.py)
            job.record.images[spec.role].update(code=spec.code.relative_to(job.staging).as_posix(),
                                                code_sha256=tree_hash(spec.code, modes=True))


def build_one(job: BuildJob, spec: ImageSpec) -> tuple[str, str]:
    """Build one image, or keep the last build's when nothing it is made of changed:
    (its id, its key)."""
    base = base_images.resolve(spec.base, job.progress)
    buildargs = {"BASE_IMAGE": base}
    if not spec.python:
        key = image_key(spec, buildargs)
        return _built(job, spec, key, buildargs), key
    with host_work:
        dependencies(job, spec, base)
    # The SBOM reads the venv tars, not the image: it is made while the image builds.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"flaskship-{job.name}-sbom") as pool:
        tars = [spec.context / "venv.tar.gz", *([spec.context / "platform.tar.gz"] if spec.platform else [])]
        sbom_made = pool.submit(sbom.prepare, tars, job.project.build_dir / ".cache", job.name)
        if spec.code is not None:
            bytecode.compile_tree(spec.code, base_images.probe(base), base, APP_DIR, job.name,
                                  cache=job.project.build_dir / ".cache" / "pyc")
            if spec.code_in_image:  # COPY keeps the modes it finds (a tar at start has its own)
                ship_modes(spec.code)
        venv_key = stage_key(spec.context, base)
        stage = dependency_stage(job, spec, base, buildargs, venv_key)
        if spec.role in job.on_stage:
            job.on_stage[spec.role](stage)
        key = image_key(spec, buildargs)
        with _platform_stage(spec.context, venv_key) if spec.platform else contextlib.nullcontext():
            image_id = _built(job, spec, key, buildargs)
        # What the image's venv holds, beside the build record that names it.
        job.record.sboms[spec.role] = sbom.write(sbom_made.result(), image_id,
                                                 job.staging / f"sbom-{spec.role}.cdx.json", spec.tag)
    return image_id, key


def _built(job: BuildJob, spec: ImageSpec, key: str, buildargs: dict[str, str]) -> str:
    """The image's id: the last build's when nothing it is made of changed, else a new build's."""
    image_id = _unchanged(job, spec, key)
    if image_id is None:
        # Its labels are in its Dockerfile, as one step (BuildJob.labels).
        image_id = docker_client.build_image(spec.context, spec.tag, job.name, {}, buildargs=buildargs,
                                             progress=job.progress)
    return image_id


def image_key(spec: ImageSpec, buildargs: dict[str, str]) -> str:
    """What the image is made of: its context's bytes and modes (wheels, byte-compiled
    code and the writable folders included, so this comes after all of them), the images
    its build arguments name, by id, the tool's own code, and the project its labels name."""
    parts = [tree_hash(spec.context, modes=True), tool_hash(), docker_client.PROJECT,
             *(f"{name}={ref}@{base_images.image_id(ref)}" for name, ref in sorted(buildargs.items()))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _unchanged(job: BuildJob, spec: ImageSpec, key: str) -> str | None:
    """The last build's image of this role, when its key is this one and its tag still
    names it: a target's other image changed (compose's web after an app edit, not
    its nginx; the functions zip, not its runner), so this one needs no build."""
    last = job.previous.images.get(spec.role) if job.previous is not None else None
    if last is None or last.get("key") != key or docker_client.tagged_id(spec.tag) != last["id"]:
        return None
    job.progress(Detail(f"  {job.name}: {spec.tag}: nothing it is made of changed; kept {str(last['id'])[:19]}"))
    return str(last["id"])


def dependencies(job: BuildJob, spec: ImageSpec, base: str) -> None:
    """venv.tar.gz (and the runner's platform.tar.gz), installed from wheels/ as
    requirements.txt says (engine/venv.py): what the Dockerfile ADDs. wheels/ and
    requirements.txt stay beside them as the record of what they were made from
    (.dockerignore keeps the wheels out of what the build sends the engine)."""
    runtime = base_images.probe(base)
    if runtime.python != job.defaults.python and not job.settings.base_image:
        notice(job.progress, f"  note: base image {base} has Python {runtime.python}, targets.yaml says "
                             f"{job.defaults.python}", ("python", base, job.defaults.python))
    # A package app becomes its own wheel (built on the host), pinned by version in the
    # requirements.txt the image installs offline; see BuildJob.requirements().
    requirements = job.image_requirements(spec)
    (spec.context / "requirements.txt").write_text(requirements.text, encoding="utf-8")
    # A requirement without a wheel for this Python is built from its sdist, for this
    # very base: app.build_packages are Debian packages the builder adds.
    sources = BuildBase(spec.base, base, base_images.image_id(base), tuple(job.app.build_packages))
    wheels = wheelhouse.ensure(requirements.resolve, runtime, job.project.build_dir / ".cache", job.name,
                               job.progress, local=requirements.wheels, sources=sources)
    wheelhouse.link_into(wheels, spec.context / "wheels", extra=requirements.wheels)
    # In hash-checking mode, a wheel compiled here from a hashed sdist gets its
    # own sha256 beside the sdist's (pip accepts several --hash per line).
    (spec.context / "requirements.txt").write_text(
        app_requirements.with_wheel_hashes(requirements.text, sorted((spec.context / "wheels").glob("*.whl"))),
        encoding="utf-8")
    cache = job.project.build_dir / ".cache"
    venv.link_into(venv.ensure_venv(spec.context / "wheels", spec.context / "requirements.txt", runtime, base,
                                    cache, job.name), spec.context / "venv.tar.gz")
    if spec.platform:
        _platform_wheels(job, spec, runtime, sources)
        venv.link_into(venv.ensure_platform(spec.context / "platform-wheels", runtime, base, cache, job.name),
                       spec.context / "platform.tar.gz")
    (spec.context / ".dockerignore").write_text("wheels/\nplatform-wheels/\n", encoding="utf-8")


def _platform_wheels(job: BuildJob, spec: ImageSpec, runtime: base_images.Runtime, sources: BuildBase) -> None:
    """platform-wheels/: what the platform's whole set (platform-requirements.txt)
    resolves to beyond the shared wheels/, by file name. A shared package that it
    resolves to another version is among them, and shadows the shared one."""
    whole = job.image_requirements(spec, "platform-requirements.txt")
    wheels = wheelhouse.ensure(whole.resolve, runtime, job.project.build_dir / ".cache", job.name,
                               job.progress, local=whole.wheels, sources=sources)
    shared = {wheel.name for wheel in (spec.context / "wheels").glob("*.whl")}
    dest = spec.context / "platform-wheels"
    dest.mkdir(exist_ok=True)
    for wheel in [*sorted(wheels.glob("*.whl")), *whole.wheels]:
        if wheel.name not in shared:
            link_or_copy(wheel, dest / wheel.name)


# python.Dockerfile.j2's lines after the venv stage, and after the shared stages
# (the same line, but for a runner's platform stage between them).
VENV_END = "# ---- the venv stage ends here ----"
SHARED_END = "# ---- shared stages end here ----"


def stage_key(context: Path, base: str) -> str:
    """What the venv stage is made of: the base, the Dockerfile's text up to the stage's
    end (the venv's ADD, app.system_packages) and the venv itself."""
    digest = hashlib.sha256(f"{base}\0{base_images.image_id(base)}\0".encode())
    dockerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    assert VENV_END in dockerfile, f"{context / 'Dockerfile'} has no '{VENV_END}' line"
    digest.update(dockerfile.partition(VENV_END)[0].encode())
    digest.update(sha256_file(context / "venv.tar.gz").encode())
    return digest.hexdigest()


def dependency_stage(job: BuildJob, spec: ImageSpec, base: str, buildargs: dict[str, str], key: str) -> str:
    """Build the context's shared stages (the base plus the installed venv and the system
    packages) once per run and key; concurrent users wait for it. Each image's build then
    finds their steps in the cache: one unpacking of the venv, not one per image racing
    the others. `key`: stage_key()'s. Returns the shared stage's tag."""
    tag = f"flaskship/deps:{key[:12]}"

    def build() -> str:
        # Built in an earlier run and still in the engine (its steps are then the cache
        # the image build finds): no second build call, no context upload.
        if not base_images.exists(tag):
            job.progress(f"  {job.name}: adding the dependencies layer (shared by every image of this base and "
                         "requirements)")
            # Its labels are in the stage itself, one step (python.Dockerfile.j2).
            docker_client.build_image(spec.context, tag, job.name, {}, buildargs=buildargs, progress=job.progress,
                                      stage=VENV_STAGE)
        return tag

    return once(("dependency stage", key), build)


_platform_locks: dict[str, threading.Lock] = {}
_platform_guard = threading.Lock()


def _platform_stage(context: Path, venv_key: str) -> threading.Lock:
    """Held while a runner image builds: the runners of one platform stage (several
    functions targets of one app) build one at a time, so the first makes the stage's
    steps and the others find them in the cache, instead of two side by side making two
    images of one step. Not a build of its own: a second build call and context upload
    cost a one-runner build 0.3 s (2.74 s against 2.45 s, a cold build of the demo)."""
    dockerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    platform = dockerfile.partition(VENV_END)[2].partition(SHARED_END)[0]  # the stage's own text
    # On the venv stage's key (the venv tar hashed once, not again here), the platform's text and tar.
    key = hashlib.sha256(f"{venv_key}\0{platform}\0{sha256_file(context / 'platform.tar.gz')}".encode()).hexdigest()
    with _platform_guard:
        return _platform_locks.setdefault(key, threading.Lock())
