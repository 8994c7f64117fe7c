"""Resolve base images, and build local stand-ins where none can be pulled.

Resolution order for a configured image such as python:3.12-slim:
  1. present in the engine;
  2. pullable;
  3. a local stand-in tagged flaskship-standin/<ref>, made by `invoke base-images`
     (announced; engine/standin_python.py says which Python it holds);
  4. BaseImageMissing, naming `invoke base-images`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import docker.errors

from .. import hostpython, templates
from ..errors import BaseImageMissing, BuildFailed
from ..files import user_cache
from ..ui.lines import notice
from . import docker_client, standin_python

STANDIN_REPO = "flaskship-standin"
ROOTFS_IMAGE = f"{STANDIN_REPO}/debian:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# What a stand-in was built from (a hash of its Dockerfile and sources): another recipe is built again.
RECIPE = f"{docker_client.LABEL}.recipe"


@dataclass(frozen=True)
class Runtime:
    """What a Python base image really contains, probed by running it."""

    python: str  # "3.11"
    platforms: tuple[str, ...]  # pip --platform tags, newest first
    full: str = ""  # "3.11.2": python_full_version, for environment markers
    executable: str = "/usr/bin/python3"  # python3 as the image runs it: what a venv's pyvenv.cfg and bin/ point to

    @property
    def local_platform(self) -> str:
        """The tag of a wheel compiled for this image by our builder (`linux_x86_64`):
        not manylinux-audited, so pip matches it only when told to."""
        return "linux_" + self.platforms[0].split("_", 3)[3]


def standin_ref(ref: str) -> str:
    return f"{STANDIN_REPO}/{ref.split('/')[-1]}"


def _present_or_pulled(ref: str, progress: Callable[[str], None]) -> str | None:
    """None if `ref` is in the engine (pulling it if need be), else why not."""
    images = docker_client.client().images
    try:
        images.get(ref)
        return None
    except docker.errors.ImageNotFound:
        pass
    try:
        progress(f"  pulling {ref} ...")
        images.pull(ref)
        return None
    except docker.errors.APIError as exc:
        return (exc.explanation or str(exc)).splitlines()[0]


def available(ref: str, progress: Callable[[str], None] = print) -> bool:
    """`ref` is in the engine, pulling it if it can be."""
    return _present_or_pulled(ref, progress) is None


def image_id(ref: str) -> str:
    return str(docker_client.client().images.get(ref).id)


def exists(ref: str) -> bool:
    """`ref` (a name or an image id) is in the engine now; never pulls."""
    return docker_client.tagged_id(ref) is not None


# Resolution and probing run once per ref and process, even with targets on
# several threads: the first caller does the work, the others wait for it.
_once = threading.Lock()
_resolved: dict[str, str] = {}


# What the `invoke base-images` a message names needs to act on this run's manifest: its
# --manifest, when the run was given one (tasks.py); else "", the same search finds it.
FIX_ARGS = ""


def resolve(ref: str, progress: Callable[[str], None] = print) -> str:
    """Return an image reference that exists in the engine for `ref` (once per run)."""
    with _once:
        if ref not in _resolved or not exists(_resolved[ref]):
            _resolved[ref] = _resolve(ref, progress)
        return _resolved[ref]


def _resolve(ref: str, progress: Callable[[str], None]) -> str:
    reason = _present_or_pulled(ref, progress)
    if reason is None:
        return ref
    standin = standin_ref(ref)
    if not exists(standin):
        raise BaseImageMissing(
            f"base image {ref} is not present and cannot be pulled ({reason}); "
            f"run `invoke base-images{FIX_ARGS}` to build local stand-ins, or set base_image in targets.yaml"
        )
    notice(progress, f"  note: {ref} cannot be pulled here; using local stand-in {standin}", ("standin", ref))
    return standin


_present: dict[str, str | None] = {}


def present_id(ref: str) -> str | None:
    """The id of exactly `ref` in the engine now, or None; never pulls (asked once per run)."""
    if ref not in _present:
        _present[ref] = docker_client.tagged_id(ref)
    return _present[ref]


def local_id(ref: str) -> str | None:
    """The id of what a build would use for `ref` right now, without pulling:
    the image itself if present, else its stand-in, else None."""
    for candidate in (ref, standin_ref(ref)):
        found = present_id(candidate)
        if found is not None:
            return found
    return None


def probe(image: str) -> Runtime:
    """Ask the image itself for its Python version and glibc, so wheels match it.

    Once per image id: kept in the user's cache (an id names exactly one image's
    bytes), so only the first build on a base starts the probe container."""
    with _once:
        return _probe(image_id(image), image)


@lru_cache(maxsize=None)
def _probe(identity: str, image: str) -> Runtime:
    folder = user_cache("probes")
    cached = folder / f"{identity.replace(':', '-')}.json" if folder else None
    if cached is not None and cached.is_file():
        try:
            python, platforms, full, executable = json.loads(cached.read_text())
            return Runtime(str(python), tuple(platforms), str(full), str(executable))
        except (OSError, ValueError, TypeError):
            pass  # unreadable, or written by an older version with fewer fields: probe again
    runtime = _run_probe(image)
    if cached is not None:
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps([runtime.python, list(runtime.platforms), runtime.full, runtime.executable]))
        os.replace(tmp, cached)
    return runtime


def _run_probe(image: str) -> Runtime:
    script = (
        "import json,platform,sys;"
        "print(json.dumps([sys.version_info[0],sys.version_info[1],platform.libc_ver()[1],platform.machine(),"
        "platform.python_version(),sys.executable]))"
    )
    engine = docker_client.client()
    try:
        out = engine.containers.run(
            image, ["python3", "-c", script], remove=True, labels=docker_client.labels("probe"), user="65534",
            **docker_client.OFFLINE,
        )
    except docker.errors.DockerException as exc:
        raise BuildFailed(f"base image {image} has no working python3: {exc}") from None
    major, minor, libc, machine, full, executable = json.loads(out.decode())
    glibc_minor = int(str(libc).split(".")[1]) if libc else 17
    platforms = tuple(f"manylinux_2_{n}_{machine}" for n in range(glibc_minor, 4, -1))
    legacy = tuple(f"{tag}_{machine}" for tag in ("manylinux2014", "manylinux2010", "manylinux1"))
    return Runtime(f"{major}.{minor}", platforms + legacy, str(full), str(executable))


def build_standins(refs: dict[str, str], progress: Callable[[str], None] = print) -> list[str]:
    """Build a stand-in for each unreachable ref. refs: ref -> 'python' | 'nginx'.

    One built from another recipe (the template's text, and for python the host's
    build it copies: engine/standin_python.py) is built again: a machine that has
    since got that build replaces its Debian 3.11 stand-in. A host build that does not
    run there (one made on a newer Debian than bookworm) gives way to Debian's python3."""
    built: list[str] = []
    for ref, role in sorted(refs.items()):
        if _present_or_pulled(ref, progress=lambda _line: None) is None:
            progress(f"  {ref}: available, no stand-in needed")
            continue
        install = standin_python.install_for(ref) if role == "python" else None
        try:
            made = _standin(ref, role, install, progress)
        except BuildFailed as exc:
            if install is None:
                raise
            notice(progress, f"  warning: {ref}: CPython {install.full} from {install.prefix} does not run in the "
                             f"stand-in ({exc.message}); it is Debian's python3 instead")
            made = _standin(ref, role, None, progress)
        built += [made] if made else []
    return built


def _standin(ref: str, role: str, install: hostpython.Install | None, progress: Callable[[str], None]) -> str | None:
    """The stand-in of `ref` built from `install` (or Debian's), unless one of that recipe is there."""
    standin = standin_ref(ref)
    dockerfile = templates.render(f"engine/standin-{role}.Dockerfile.j2", rootfs=ROOTFS_IMAGE,
                                  **standin_python.variables(install))
    made_of = standin_python.describe(install) if role == "python" else ""
    recipe = hashlib.sha256(f"{dockerfile}\0{made_of}".encode()).hexdigest()[:16]
    if standin_recipe(ref) == recipe:
        progress(f"  {ref}: cannot be pulled; stand-in {standin} already built")
        return None
    ensure_rootfs(progress)
    with tempfile.TemporaryDirectory(prefix="flaskship-standin-") as context:
        Path(context, "Dockerfile").write_text(dockerfile)
        if install is not None:
            standin_python.copy(install, Path(context, "python"))
        progress(f"  building stand-in {standin} for {ref}" + (f": {made_of}" if made_of else "") + " ...")
        return build_standin_image(Path(context), ref, recipe, "base-images", progress)


def standin_recipe(ref: str) -> str | None:
    """The recipe `ref`'s stand-in was built from (its label), or None when there is none."""
    found = docker_client.tagged_id(standin_ref(ref))
    return None if found is None else docker_client.client().images.get(found).labels.get(RECIPE)


def build_standin_image(context: Path, ref: str, recipe: str, target: str, progress: Callable[[str], None]) -> str:
    """`ref`'s stand-in built from `context`, labelled with what it stands in for and its recipe
    (base images' and services' alike). Our previous one, now untagged, goes; images built
    on it keep it until `invoke clean`."""
    tag = standin_ref(ref)
    stale = docker_client.tagged_id(tag)
    built = docker_client.build_image(context, tag, target, {f"{docker_client.LABEL}.stands-in-for": ref,
                                      RECIPE: recipe}, progress=progress)
    if stale is not None and stale != built:
        try:
            docker_client.remove_image(stale)
        except docker.errors.APIError:
            pass
    return tag


def ensure_rootfs(progress: Callable[[str], None]) -> None:
    """The debootstrapped Debian every stand-in is built FROM (services' stand-ins too)."""
    if exists(ROOTFS_IMAGE):
        return
    if shutil.which("debootstrap") is None:
        raise BaseImageMissing("debootstrap is not installed; run bin/setup (or apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="flaskship-rootfs-") as tmp:
        rootfs = Path(tmp, "rootfs")
        progress(f"  debootstrap bookworm (minbase) into {rootfs} (about 30 s) ...")
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BaseImageMissing(
                f"debootstrap failed (exit {result.returncode}); is {DEBIAN_MIRROR} reachable?",
                docker_client.tail(result.stdout.splitlines() + result.stderr.splitlines()),
            )
        # Package caches and docs are dead weight in a base image.
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        progress(f"  importing {ROOTFS_IMAGE} ...")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        docker_client.client().api.import_image_from_stream(tar.stdout, repository=ROOTFS_IMAGE.split(":")[0], tag="bookworm")
        tar.wait()
