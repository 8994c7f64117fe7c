"""A CycloneDX SBOM of what an image's venv really holds, made by cyclonedx-py.

The image's installed distributions are read from the image itself: its
/opt/venv `*.dist-info` folders (metadata only, no code) are copied out of a
created, never started, labelled container into a throwaway host venv, and
`cyclonedx-py environment` (CycloneDX's own Python tool, requirements-dev.txt)
reads that venv as it would any other. So the SBOM lists what was installed,
with versions, licences and PURLs, not what a file asked for.

Images that share the venv layer (cloudrun, heroku and compose of one build)
share one SBOM: it is cached in build/.cache/sbom/ by that layer's digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

import docker.errors

from ..errors import BuildFailed
from . import docker_client

VENV = "/opt/venv"
# The functions runner's own packages (functions-framework and what it adds), ahead
# of the venv on its PYTHONPATH: where both hold a package, this copy is imported.
PLATFORM = "/opt/platform"
SPEC = "1.6"
FORMAT = f"CycloneDX {SPEC} JSON"
TIMEOUT = 300
# One SBOM per key at a time: targets that build side by side share the venv layer,
# and the second waits for the first's SBOM instead of making the same one.
_making = threading.Lock()
_keys: dict[Path, threading.Lock] = {}


def write(image_id: str, base_id: str, dest: Path, cache_dir: Path, label: str, name: str,
          shared: str, platform: bool = False) -> dict[str, str]:
    """Write the SBOM of `image_id` (built on `base_id`, from the shared stage image `shared`)
    to `dest`; its entry for the build record. `platform`: the image also has PLATFORM
    packages (the functions runner)."""
    # Keyed by the layers it reads: the shared stage's (the venv, then any system packages),
    # and a runner's platform layer after them. Not by the image: an edit to the app's
    # code changes that, not them.
    layer = "\0".join(_layers_above(image_id, base_id, shared, platform))
    kept = cache_dir / "sbom" / f"{hashlib.sha256(layer.encode()).hexdigest()[:24]}.cdx.json"
    with _making:
        lock = _keys.setdefault(kept, threading.Lock())
    with lock:
        if not kept.is_file():
            _make(image_id, kept, cache_dir, label, platform)
    bom = json.loads(kept.read_text(encoding="utf-8"))
    # What this SBOM describes: the image, by the id the build record names.
    bom.setdefault("metadata", {})["component"] = {
        "type": "container", "bom-ref": image_id, "name": name, "version": image_id}
    text = json.dumps(bom, indent=2, sort_keys=True) + "\n"
    dest.write_text(text, encoding="utf-8")
    return {"path": dest.name, "format": FORMAT, "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "components": str(len(bom.get("components", [])))}


def _make(image_id: str, kept: Path, cache_dir: Path, label: str, platform: bool) -> None:
    with tempfile.TemporaryDirectory(prefix=".sbom-", dir=_mkdir(cache_dir)) as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        site = _site_packages(venv)
        _copy_metadata(image_id, f"{VENV}/lib", site, label)
        if platform:
            ahead = Path(tmp) / "platform"
            _copy_metadata(image_id, PLATFORM, ahead, label)
            _shadow(site, ahead)
        out = Path(tmp) / "sbom.json"
        _cyclonedx(venv, out, label)
        _mkdir(kept.parent)
        out.replace(kept)


def _layers_above(image_id: str, base_id: str, shared: str, platform: bool) -> list[str]:
    """The digests of the layers after the base that the shared stage has, then a runner's
    platform packages (python.Dockerfile.j2 puts them there); the image id if it has fewer."""
    images = docker_client.client().images
    layers = images.get(image_id).attrs["RootFS"]["Layers"]
    below = len(images.get(base_id).attrs["RootFS"]["Layers"])
    count = len(images.get(shared).attrs["RootFS"]["Layers"]) - below + (1 if platform else 0)
    above = [str(layer) for layer in layers[below:below + count]]
    return above if len(above) == count else [image_id]


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    assert found, f"no site-packages in {venv}"
    return found[0]


def _shadow(site: Path, ahead: Path) -> None:
    """Move `ahead`'s dist-info folders into `site`, replacing the same project's there:
    the copy on the path first is the one the image imports."""
    def project(folder: Path) -> str:
        return folder.name.rsplit("-", 1)[0].lower().replace("_", "-").replace(".", "-")

    mine = {project(folder): folder for folder in ahead.glob("*.dist-info")}
    for folder in site.glob("*.dist-info"):
        if project(folder) in mine:
            shutil.rmtree(folder)
    for folder in mine.values():
        shutil.move(str(folder), site / folder.name)


def _copy_metadata(image_id: str, path: str, site: Path, label: str) -> None:
    """Every *.dist-info/* file under `path` in the image, into `site`."""
    def create(run_labels: dict[str, str]) -> docker_client.Container:
        return docker_client.client().containers.create(image_id, ["true"], labels=run_labels)

    try:
        with docker_client._labelled(label, create) as container:
            chunks, _ = container.get_archive(path)
            _extract_dist_info(io.BufferedReader(_ChunkStream(chunks)), site)
    except docker.errors.APIError as exc:
        raise BuildFailed(f"{label}: cannot read the venv of {image_id[:19]} for its SBOM: "
                          f"{exc.explanation or exc}") from None


def _extract_dist_info(stream: io.BufferedReader, site: Path) -> None:
    with tarfile.open(fileobj=stream, mode="r|") as tf:
        for member in tf:
            parts = Path(member.name).parts
            inside = [i for i, part in enumerate(parts) if part.endswith(".dist-info")]
            if not member.isfile() or not inside or ".." in parts:
                continue
            target = site.joinpath(*parts[inside[0]:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tf.extractfile(member)
            if source is not None:
                with open(target, "wb") as out:
                    shutil.copyfileobj(source, out)


class _ChunkStream(io.RawIOBase):
    """docker-py's archive chunks as a file, read once, front to back."""

    def __init__(self, chunks: object) -> None:
        self._chunks = iter(chunks)  # type: ignore[call-overload]
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            try:
                self._left = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


def _cyclonedx(venv: Path, out: Path, label: str) -> None:
    # --no-validate: cyclonedx-py's check of its own output against the schema is 95% of
    # its run (about 1.6 s of 1.9 s, measured: it compiles a grammar per IRI format);
    # the tests validate what it writes instead (test_dep_apps).
    command = [sys.executable, "-m", "cyclonedx_py", "environment", "--sv", SPEC, "--of", "JSON",
               "--output-reproducible", "--no-validate", "-o", str(out), str(venv)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                                env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")})
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"{label}: cyclonedx-py did not write the SBOM within {TIMEOUT} s") from None
    if result.returncode != 0:
        said = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        missing = "No module named cyclonedx_py" in result.stderr
        raise BuildFailed(f"{label}: cannot write the SBOM: " + ("cyclonedx-py is not installed; run bin/setup "
                          "(pip install -r requirements-dev.txt)" if missing else (said[-1] if said else "failed")),
                          "\n".join(said[-20:]))


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
