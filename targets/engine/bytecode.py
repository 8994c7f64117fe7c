"""The .pyc files of the app (and of the venv, engine/venv.py), made before the image is
built, by the base image's own Python version.

So the image's COPY of the code is its last step with files, and no RUN (a
container and a commit, about 0.5 s) follows it: an app edit rebuilds one
layer. A read-only filesystem then costs no compile at start-up either.

On the host when a CPython of the base's version is here (this one, or pyenv's: a
.pyc is specific to the minor version), else in a throwaway container of the base
itself, with no network, for the files no earlier tree had compiled there
(engine/pycache.py).
Checked-hash pycs (PEP 552): valid whatever the files' mtimes are in the
image, and a source that no longer matches its .pyc is compiled afresh,
never trusted; a venv's are unchecked-hash (compile_tree's `frozen`). Paths
inside them are the image's (`dest`), so tracebacks name /srv/app or /opt/venv,
not a staging folder on the build host. Best effort, as `compileall
|| true` was: a .py file the app never imports may not even parse.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

import docker.errors

from .. import hostpython
from ..errors import BuildFailed
from . import base_images, docker_client, pyc_walk, pycache
from .base_images import Runtime

TIMEOUT = 600


def host_compiler(runtime: Runtime) -> str | None:
    """A CPython on this host that writes the base's .pyc files: this one when it is the
    base's version, else a `python3.X` of that version (pyenv's: targets/hostpython.py),
    else None (a container of the base compiles then). A .pyc's magic number is the
    same across a minor version's final releases, so any such release will do."""
    if sys.implementation.name == "cpython" and runtime.python == hostpython.HOST:
        return sys.executable
    if not re.fullmatch(r"3\.\d+\.\d+", runtime.full):  # an rc's magic number may differ
        return None
    return _other_python(runtime.python)


_other_python = lru_cache(maxsize=None)(hostpython.answering)  # once per version and process


def host_can_compile(runtime: Runtime) -> bool:
    return host_compiler(runtime) is not None


def compile_tree(src: Path, runtime: Runtime, base: str, dest: str, label: str, frozen: bool = False,
                 cache: Path | None = None) -> None:
    """Byte-compile every .py under `src`, as the image will hold it at `dest`.

    `cache`: where the .pyc files a container made are kept for the next tree that
    holds the same files (engine/pycache.py); frozen trees are made once anyway.

    `frozen`: a tree made once and never edited (a venv tar: its sources and .pyc files
    come and go together). Its .pyc files are unchecked-hash ones, which Python trusts
    without reading the source (an import of Flask and gunicorn: 132 against 136 ms,
    measured in the image), and it is compiled on every core (_sharded)."""
    mode = "unchecked-hash" if frozen else "checked-hash"
    program = host_compiler(runtime)
    # The user's PYTHONOPTIMIZE or PYTHONPYCACHEPREFIX is not the image's. With them, the
    # .pyc files were .opt-1 ones, which the image's Python never reads, or not in
    # __pycache__ at all. (Not -E: an interpreter may need its PYTHONHOME to start.)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONOPTIMIZE", "PYTHONPYCACHEPREFIX")}
    # From /: the folder a program runs in goes first on its sys.path, and a module there
    # (an app's enum.py, or engine/venv.py beside pyc_walk.py) would shadow the stdlib's.
    if program is not None and frozen:
        _sharded(program, src, dest, mode, env)
    elif program == sys.executable:
        pyc_walk.compile_checked(src, dest)
    elif program is not None:
        subprocess.run([program, "-c", Path(pyc_walk.__file__).read_text(encoding="utf-8"), str(src.resolve()), dest],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd="/")
    elif cache is not None and not frozen:
        in_container_cached(src, runtime, base, dest, label, cache)
    else:
        in_container(src, base, dest, label, mode)


def _sharded(program: str, src: Path, dest: str, mode: str, env: dict[str, str]) -> None:
    """pyc_walk in one process per core, each with its share of the files by bytes.

    Not compileall's -j: its pool hands out one file per task and pickles each
    result back, which on 2 cores made it no faster than one process (0.57 s for
    the demo's 187-file venv either way, on pyenv's 3.12); shares need no talk."""
    shares = max(1, min(len(os.sched_getaffinity(0)), 8))
    script = Path(pyc_walk.__file__).read_text(encoding="utf-8")
    workers = [subprocess.Popen([program, "-c", script, str(src.resolve()), dest, mode, str(index), str(shares)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd="/")
               for index in range(shares)]
    for worker in workers:
        worker.wait()


def in_container_cached(src: Path, runtime: Runtime, base: str, dest: str, label: str, cache: Path) -> None:
    """in_container() for the files whose checked-hash .pyc no earlier tree (or another
    thread, now) made in a container of this very base: engine/pycache.py."""
    mode = "checked-hash"
    salt = f"{base_images.image_id(base)}\0{dest}\0{mode}"
    pycache.reuse(src, cache, salt, lambda only: each_in_container(src, base, dest, label, mode, only))


def in_container(src: Path, base: str, dest: str, label: str, mode: str = "checked-hash") -> None:
    """compileall in a container of `base`; only the __pycache__/*.pyc files come back into `src`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        tf.add(src, arcname=dest.lstrip("/"))
    command = ["sh", "-c", f"python3 -m compileall -q --invalidation-mode {mode} {dest} > /dev/null || true"]
    _compile(src, base, dest, label, command, buffer.getvalue())


# One file at a time, naming those that do not compile (best effort, as compileall || true):
# any other failure (the container killed, out of memory) ends it with a status that says so.
EACH = """
import py_compile, sys
mode = py_compile.PycInvalidationMode[sys.argv[1].upper().replace("-", "_")]
for path in sys.argv[2:]:
    try:
        py_compile.compile(path, doraise=True, invalidation_mode=mode)
    except py_compile.PyCompileError:
        print(path)
"""


def each_in_container(src: Path, base: str, dest: str, label: str, mode: str, only: list[Path]) -> set[Path] | None:
    """These files of `src` (relative paths) compiled in a container of `base`, their .pyc files
    back in `src`: the files that do not compile, or None when the run itself failed."""
    buffer = io.BytesIO()
    # A symlink among them goes as the file it points to, which may not be sent.
    with tarfile.open(fileobj=buffer, mode="w", dereference=True) as tf:
        for relative in only:
            tf.add(src / relative, arcname=f"{dest.lstrip('/')}/{relative.as_posix()}")
    paths = {f"{dest}/{relative.as_posix()}": relative for relative in only}
    status, out = _compile(src, base, dest, label, ["python3", "-c", EACH, mode, *paths], buffer.getvalue())
    return {paths[line] for line in out.splitlines() if line in paths} if status == 0 else None


def _compile(src: Path, base: str, dest: str, label: str, command: list[str], files: bytes) -> tuple[int, str]:
    """Run `command` in a container of `base` holding `files`; the .pyc files under `dest`
    come back into `src`. (its exit status, its output)"""

    def create(run_labels: dict[str, str]) -> docker_client.Container:
        return docker_client.client().containers.create(base, command, labels=run_labels, user="0", entrypoint=[],
                                                        **docker_client.OFFLINE)

    try:
        with docker_client._labelled(label, create) as container:
            container.put_archive("/", files)
            container.start()
            status = docker_client.exit_status(container, TIMEOUT)
            if status is None:
                raise BuildFailed(f"{label}: byte-compiling the app in {base} did not finish within {TIMEOUT} s",
                                  docker_client.logs(container))
            chunks, _ = container.get_archive(dest)
            _extract_pycs(b"".join(chunks), src)
            return status, container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
    except docker.errors.APIError as exc:
        raise BuildFailed(f"{label}: cannot byte-compile the app in {base}: {exc.explanation or exc}") from None


def _extract_pycs(archive: bytes, src: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
        for member in tf.getmembers():
            parts = PurePosixPath(member.name).parts[1:]  # under the archive's top folder, the app's
            if (not member.isfile() or ".." in parts or len(parts) < 2 or parts[-2] != "__pycache__"
                    or not parts[-1].endswith(".pyc")):
                continue
            stream = tf.extractfile(member)
            if stream is not None:
                target = src.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(stream.read())
