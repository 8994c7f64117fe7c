"""A CycloneDX SBOM of what an image's venv really holds, made by cyclonedx-py.

An image's /opt/venv is exactly venv.tar.gz (the Dockerfile's one ADD of it),
and a functions runner's /opt/platform is platform.tar.gz: engine/venv.py made
both. So the installed distributions are read from those tars: their
`*.dist-info` folders (metadata only, no code) go into a throwaway host venv,
and `cyclonedx-py environment` (CycloneDX's own Python tool,
requirements-dev.txt) reads that venv as it would any other. The SBOM lists
what was installed, with versions, licences and PURLs, not what a file asked for.

It needs no image, so it is made while the image builds (build/images.py), and
images that share a venv (cloudrun, heroku and compose of one build) share one
SBOM: it is cached in build/.cache/sbom/ by the tars' bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import BuildFailed
from ..files import sha256_file
from ..once import once
from .. import trim

SPEC = "1.6"
FORMAT = f"CycloneDX {SPEC} JSON"
TIMEOUT = 300


def prepare(tars: Sequence[Path], cache_dir: Path, label: str) -> Path:
    """The cached SBOM of an image whose venv is tars[0] and whose platform packages
    (a runner's, ahead of the venv on its PYTHONPATH) are tars[1], if given; made if
    missing. Keyed by the tars' bytes, not by the image: an edit to the app's code
    changes that, not them."""
    digest = hashlib.sha256(f"{SPEC}\0".encode())
    for tar in tars:
        digest.update(sha256_file(tar).encode())
    kept = cache_dir / "sbom" / f"{digest.hexdigest()[:24]}.cdx.json"

    def make() -> Path:
        if kept.is_file():
            trim.used(kept)
        else:
            _make(tars, kept, cache_dir, label)
        return kept

    # Targets that build side by side share the venv: the second waits for the first's SBOM.
    return once(("sbom", kept), make)


def write(kept: Path, image_id: str, dest: Path, name: str) -> dict[str, str]:
    """Write the SBOM `prepare` made, naming the image it describes, to `dest`; its entry
    for the build record."""
    bom = json.loads(kept.read_text(encoding="utf-8"))
    # What this SBOM describes: the image, by the id the build record names.
    bom.setdefault("metadata", {})["component"] = {
        "type": "container", "bom-ref": image_id, "name": name, "version": image_id}
    text = json.dumps(bom, indent=2, sort_keys=True) + "\n"
    dest.write_text(text, encoding="utf-8")
    return {"path": dest.name, "format": FORMAT, "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "components": str(len(bom.get("components", [])))}


def _make(tars: Sequence[Path], kept: Path, cache_dir: Path, label: str) -> None:
    with tempfile.TemporaryDirectory(prefix=".sbom-", dir=_mkdir(cache_dir)) as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        site = _site_packages(venv)
        _extract_dist_info(tars[0], site, label)
        if len(tars) > 1:
            ahead = Path(tmp) / "platform"
            _extract_dist_info(tars[1], ahead, label)
            _shadow(site, ahead)
        out = Path(tmp) / "sbom.json"
        _cyclonedx(venv, out, label)
        _mkdir(kept.parent)
        out.replace(kept)


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


def _extract_dist_info(tar: Path, site: Path, label: str) -> None:
    """Every *.dist-info/* file in the tar, into `site`."""
    try:
        with tarfile.open(tar, mode="r:gz") as tf:
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
    except (OSError, tarfile.TarError) as exc:
        raise BuildFailed(f"{label}: cannot read {tar} for the SBOM ({exc}); build again to remake it") from None


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
