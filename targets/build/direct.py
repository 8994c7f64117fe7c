"""Direct references as wheels on the host, so an offline image can install them by name.

A requirement may name its distribution directly: a local path inside
app.source (a project folder, a wheel, an sdist; `./libs/x`, `name @ file:///...`)
or an http(s) URL (`name @ https://.../x.whl`). An image has neither the
network nor the path, so each becomes a wheel here, on the host: a folder or
an sdist is built (pip wheel, cached by content), a wheel is used as it is, and
a URL is downloaded once (cached by the URL and its hashes), its credentials
taken from the environment (${VAR}) in memory only. The image then installs it
pinned by name and version, from the wheelhouse.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from .. import trim
from ..engine import wheelhouse
from ..errors import BuildFailed
from ..files import tree_hash
from .reqlines import Entry, redact

TIMEOUT = 120


def local_wheel(path: Path, cache_dir: Path, label: str, progress: Callable[[str], None]) -> Path:
    """The wheel for a folder, wheel or sdist inside the shipped sources."""
    if path.is_dir():
        if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
            raise BuildFailed(f"{label}: {path.name}/ is named as a requirement but has no pyproject.toml or setup.py")
        return wheelhouse.build_wheel(path, tree_hash(path)[:16], cache_dir, label, progress)
    if path.name.endswith(".whl"):
        return path
    return _from_sdist(path, cache_dir, label, progress)


def url_wheel(entry: Entry, options: tuple[str, ...], cache_dir: Path, label: str,
              progress: Callable[[str], None]) -> Path:
    """The wheel for an http(s) direct reference: downloaded once, checked against its hashes."""
    url = _url_of(entry.spec)
    hashes = {h.partition(":")[2] for h in entry.hashes if h.startswith("sha256:")}
    fragment = urlsplit(url).fragment
    if fragment.startswith("sha256="):
        hashes.add(fragment.removeprefix("sha256="))
    key = hashlib.sha256("\n".join([url, *sorted(hashes)]).encode()).hexdigest()[:16]
    dest = cache_dir / f"url-{key}"
    found = sorted(dest.glob("*")) if dest.is_dir() else []
    if len(found) != 1:
        found = [_download(url, hashes, dest, entry, options, label, progress)]
    trim.used(dest)
    return found[0] if found[0].name.endswith(".whl") else _from_sdist(found[0], cache_dir, label, progress)


def _url_of(spec: str) -> str:
    words = spec.split()
    if "@" in words:
        return words[words.index("@") + 1]
    for word in words:
        if "@" in word and "://" in word.partition("@")[2]:  # name@https://...
            return word.partition("@")[2]
    return words[0]


def _download(url: str, hashes: set[str], dest: Path, entry: Entry, options: tuple[str, ...], label: str,
              progress: Callable[[str], None]) -> Path:
    where = f"{label}: {entry.where}"
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not filename.endswith((".whl", ".tar.gz", ".zip", ".tgz")):
        raise BuildFailed(f"{where}: {filename or url} is not a wheel or an sdist; point the URL at a .whl or .tar.gz")
    # ${VAR} expanded here, in memory, as pip would: never into a file.
    real = os.path.expandvars(url.split("#", 1)[0])
    progress(f"  {label}: downloading {filename} ...")
    verify: str | bool = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("PIP_CERT") or True
    cache_dir = dest.parent
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".url-", dir=cache_dir) as tmp:
        partial = Path(tmp) / filename
        digest = hashlib.sha256()
        try:
            with requests.get(real, stream=True, timeout=TIMEOUT, verify=verify) as response:
                response.raise_for_status()
                with partial.open("wb") as out:
                    for chunk in response.iter_content(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        except requests.RequestException as exc:
            raise BuildFailed(f"{where}: cannot download {filename}: "
                              f"{redact(str(exc), [url, *options]).splitlines()[0]}") from None
        if hashes and digest.hexdigest() not in hashes:
            raise BuildFailed(f"{where}: {filename} does not match its --hash (got sha256:{digest.hexdigest()})")
        folder = Path(tmp) / "done"
        folder.mkdir()
        partial.rename(folder / filename)
        try:
            folder.rename(dest)
        except OSError:
            if not dest.is_dir():
                raise
    return dest / filename


def _from_sdist(sdist: Path, cache_dir: Path, label: str, progress: Callable[[str], None]) -> Path:
    """Build a pure-Python wheel from an sdist archive (wheelhouse.build_wheel refuses any other)."""
    with tempfile.TemporaryDirectory(prefix=".sdist-", dir=cache_dir) as tmp:
        out = Path(tmp)
        if zipfile.is_zipfile(sdist):
            with zipfile.ZipFile(sdist) as zf:
                zf.extractall(out)
        else:
            with tarfile.open(sdist) as tf:
                tf.extractall(out, filter="data")
        tops = [p for p in out.iterdir() if p.is_dir()]
        top = tops[0] if len(tops) == 1 else out
        if not (top / "pyproject.toml").is_file() and not (top / "setup.py").is_file():
            raise BuildFailed(f"{label}: {sdist.name} is not an sdist (no pyproject.toml or setup.py at its top)")
        key = hashlib.sha256(sdist.read_bytes()).hexdigest()[:16]
        wheel = wheelhouse.build_wheel(top, key, cache_dir, label, progress)
        shutil.rmtree(top, ignore_errors=True)
    return wheel
