"""The app's own wheel as the images install it: its metadata, pointing at the code they ship.

An app that is a package (a pyproject.toml with a [build-system], a `.` line) is
built into a wheel on the host (engine/wheelhouse.build_wheel), so that what it
declares is installed as pip would install it: its dependencies, its console
scripts, its entry points (flaskbb finds its plugins by them), its
importlib.metadata. Its code is in every image already, at /srv/app. Installed
from the wheel as well, it was there twice, and the copies behaved differently:
a console script (`flaskbb populate` in app.prestart) ran the site-packages one,
whose Flask instance folder is /opt/venv/var/flaskbb-instance and whose relative
paths are under site-packages, none of them writable (app.writable names folders
of /srv/app).

So the images install a wheel of the same name and version that holds the
metadata and a .pth file naming the folder of /srv/app its packages are in, as
an editable install does (PEP 660): one copy of the code, however it is run. It
holds no code, so an app edit leaves it, the venv and the shared dependency layer
as they were. Where a file of the built wheel is not in the shipped code byte for
byte (a version file the backend writes, a compiled module), or the wheel installs
into purelib/platlib of its own, the wheel is installed as built.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from .. import trim
from .source import APP_DIR

# Fixed times and modes: the same metadata makes the same bytes, so the same hash.
_STAMP = (1980, 1, 1, 0, 0, 0)
_MODE = 0o644 << 16


def pointing_at_code(wheel: Path, src: Path, cache_dir: Path, dest: str = APP_DIR) -> Path:
    """`wheel` (built from `src`) with its code replaced by a .pth naming where `src` is in the
    image (`dest`), kept in cache_dir/own-wheel-<hash>/; `wheel` itself where that cannot be."""
    with zipfile.ZipFile(wheel) as built:
        files = {info.filename: built.read(info) for info in built.infolist() if not info.is_dir()}
    meta = next((name.rpartition("/")[0] for name in files if name.endswith(".dist-info/METADATA")), None)
    if meta is None or "/" in meta:
        return wheel
    data = f"{meta.removesuffix('.dist-info')}.data/"
    if any(name.startswith((f"{data}purelib/", f"{data}platlib/")) for name in files):
        return wheel
    code = [name for name in files if not name.startswith((f"{meta}/", data))]
    # Where a package may sit in the shipped code: its top, or a top folder (src/ in a src layout).
    tops = ["", *sorted(p.name for p in src.iterdir() if p.is_dir() and not p.name.startswith("."))]
    roots = {_root(src, tops, name, files[name]) for name in code}
    if not code or None in roots:
        return wheel
    kept = {name: content for name, content in files.items() if name not in code and name != f"{meta}/RECORD"}
    folders = sorted(str(PurePosixPath(dest, root)) for root in roots if root is not None)
    kept[f"__flaskship__.{meta.removesuffix('.dist-info')}.pth"] = "".join(f"{f}\n" for f in folders).encode()
    content = _zipped(kept, f"{meta}/RECORD")
    folder = cache_dir / f"own-wheel-{hashlib.sha256(content).hexdigest()[:16]}"
    if not (folder / wheel.name).is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".own-wheel-", dir=cache_dir))
        try:
            (tmp / wheel.name).write_bytes(content)
            with contextlib.suppress(OSError):  # another build made the same bytes first
                os.replace(tmp, folder)  # whole or not at all
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    trim.used(folder)
    return folder / wheel.name


def _root(src: Path, tops: list[str], name: str, content: bytes) -> str | None:
    """The folder of `src` among `tops` ("" for its top, "src" for a src layout) that holds the
    wheel's file `name` with the same bytes, or None."""
    for root in tops:
        path = src / root / name
        if path.is_file() and path.read_bytes() == content:
            return root
    return None


def _zipped(files: dict[str, bytes], record: str) -> bytes:
    """A wheel of `files`, sorted, with fixed times, and its RECORD (PEP 376's hashes)."""
    lines = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in sorted(files.items())]
    files = {**files, record: ("\n".join([*lines, f"{record},,"]) + "\n").encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.external_attr, info.compress_type = _MODE, zipfile.ZIP_DEFLATED
            out.writestr(info, files[name])
    return buffer.getvalue()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
