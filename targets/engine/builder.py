"""The builder image, and one sdist compiled in it with no network.

The builder is the target's own base (same Python, same libc: what it compiles
runs there) plus Debian's build-essential, the Python headers and
app.build_packages. On an official `python:X-slim` base the non-slim
`python:X` is used where it can be pulled (it has all of that already); else it
is built, on first need and announced, like the base stand-ins. Only the wheels
it builds leave it: compilers and headers never reach a runtime image.
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker.errors
import requests

from .. import templates
from ..errors import BuildFailed
from . import base_images, docker_client, sdists

BUILD_TIMEOUT = 1800  # seconds for one sdist; a big C++ project can take minutes, a hang must not take forever
# Labels of a builder image: which image it was made from (a rebuilt base makes it stale).
FROM_LABEL = f"{docker_client.LABEL}.builder-from"
ROLE = "sdist-build"  # io.flaskship.role of the build containers, so tests can count them
# Debian's rule for package names: they go into the builder's apt-get command line.
_DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_OFFICIAL_SLIM = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(?P<version>[^@]+?)-slim(?P<variant>-[\w.-]+)?$")
# The builder's pip: PEP 517 with isolation even for a setup.py-only sdist (the
# legacy `setup.py bdist_wheel` needs `wheel` in the builder itself), installing
# the build requirements only from /in.
PIP = ["/opt/builder/bin/python", "-m", "pip", "wheel", "--no-index", "--find-links", "/in", "--no-deps",
       "--no-cache-dir", "--disable-pip-version-check", "--wheel-dir", "/out"]


@dataclass(frozen=True)
class BuildBase:
    """The runtime base an sdist is compiled for."""

    configured: str  # as targets.yaml names it: python:3.12-slim
    resolved: str  # what the engine has: the same, or its stand-in
    image_id: str  # of `resolved`: part of every compiled wheel's cache key
    packages: tuple[str, ...] = ()  # app.build_packages


def image(base: BuildBase, label: str, progress: Callable[[str], None] = print) -> str:
    """The builder for `base`, built on first need."""
    for package in base.packages:
        if not _DEBIAN_NAME.fullmatch(package):
            raise BuildFailed(f"{label}: app.build_packages: '{package}' is not a Debian package name")
    origin = base.resolved
    official = _OFFICIAL_SLIM.match(base.configured)
    if official and base.resolved == base.configured:
        full = f"python:{official['version']}{official['variant'] or ''}"
        if base_images.available(full, progress):
            origin = full
    tag = sdists.builder_ref(origin, base.packages)
    origin_id = base_images.image_id(origin)
    try:
        if docker_client.client().images.get(tag).labels.get(FROM_LABEL) == origin_id:
            return tag
    except docker.errors.ImageNotFound:
        pass
    extra = f", {' '.join(base.packages)}" if base.packages else ""
    progress(f"  {label}: building the builder image {tag} from {origin} (build-essential, Python headers{extra}; "
             "once per base) ...")
    with tempfile.TemporaryDirectory(prefix="flaskship-builder-") as context:
        Path(context, "Dockerfile").write_text(
            templates.render("engine/builder.Dockerfile.j2", base=origin, packages=sorted(set(base.packages))))
        docker_client.build_image(Path(context), tag, label, {FROM_LABEL: origin_id}, progress=progress)
    return tag


def compile_sdist(builder: str, sdist: Path, requirements: Path, dest: Path, *,
                  spec: str, python: str, label: str) -> Path:
    """Build `sdist` into a wheel in `dest` inside `builder`: no network, its build
    requirements only from the wheels in `requirements`. Raises one line on failure."""
    inputs = _tar({f"in/{path.name}": path for path in [sdist, *sorted(requirements.glob("*.whl"))]})
    command = [*PIP, f"/in/{sdist.name}"]
    with docker_client._labelled(label, _create(builder, command, label)) as container:
        try:
            # The /etc/hosts `--network none` gave it (localhost): a container without a
            # network gets none from Docker, and a build may still resolve localhost.
            container.put_archive("/", docker_client.hosts_file({}))
            container.put_archive("/", inputs)
            container.start()
            code = int(container.wait(timeout=BUILD_TIMEOUT).get("StatusCode", -1))
            output = container.logs().decode("utf-8", "replace")
        except requests.exceptions.RequestException:
            raise BuildFailed(f"{label}: building {spec} from source did not finish within {BUILD_TIMEOUT} s",
                              docker_client.logs(container)) from None
        except docker.errors.APIError as exc:
            raise BuildFailed(f"{label}: building {spec} from source: {exc.explanation or exc}") from None
        if code != 0:
            reason, package = sdists.diagnose(output)
            raise BuildFailed(sdists.failure(label, spec, python, reason, package),
                              docker_client.tail(output.splitlines(), 40))
        chunks, _ = container.get_archive("/out")
        return _only_wheel(b"".join(chunks), dest, label, spec)


def _create(builder: str, command: list[str], label: str) -> Callable[[dict[str, str]], docker_client.Container]:
    def create(run_labels: dict[str, str]) -> docker_client.Container:
        try:
            return docker_client.client().containers.create(
                builder, command, labels={**run_labels, f"{docker_client.LABEL}.role": ROLE}, **docker_client.OFFLINE,
                user="0", working_dir="/",
                # PEP 517 always (an env var, so a pip where it is already the only way ignores it).
                environment={"PIP_USE_PEP517": "1", "PIP_NO_INPUT": "1"})
        except docker.errors.APIError as exc:
            raise BuildFailed(f"{label}: could not start the builder {builder}: {exc.explanation or exc}") from None
    return create


def _tar(files: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        for name, path in files.items():
            tf.add(path, arcname=name)
    return buffer.getvalue()


def _only_wheel(archive: bytes, dest: Path, label: str, spec: str) -> Path:
    """Extract the one wheel of /out by its base name (nothing from the container picks a host path)."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
        wheels = [member for member in tf.getmembers() if member.isfile() and member.name.endswith(".whl")]
        if len(wheels) != 1:
            raise BuildFailed(f"{label}: building {spec} from source gave {len(wheels)} wheels, expected one")
        stream = tf.extractfile(wheels[0])
        assert stream is not None
        dest.mkdir(parents=True, exist_ok=True)
        wheel = dest / Path(wheels[0].name).name
        partial = dest / f".{uuid.uuid4().hex}.part"
        partial.write_bytes(stream.read())
        partial.rename(wheel)
        return wheel
