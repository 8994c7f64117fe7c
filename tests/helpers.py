"""Helpers every test tier shares: the real CLI, the one-line error rule, record reading.

Test modules import from here, never from one another.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Every CLI run from this test session labels its containers with this id, so
# leftover checks look only at what these tests started.
SESSION = f"pytest-{uuid.uuid4().hex[:8]}"
MANAGED = {"label": f"io.flaskship.session={SESSION}"}


def ephemeral_range() -> tuple[int, int]:
    """The kernel's ephemeral port range: what bind(0) and the engine's `-p host::port` hand out."""
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def free_port() -> int:
    """A loopback port nobody holds right now, out of the engine's way as smoke picks its own."""
    from targets.kinds.compose.stack import free_port as below_ephemeral  # not at import: no Docker SDK in every test

    return below_ephemeral("127.0.0.1")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def invoke(*args: str, env: dict[str, str] | None = None, timeout: float = 600, cwd: Path | None = None) -> CliResult:
    """Run the real `invoke` CLI against this repo's tasks.py."""
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(REPO), *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "FLASKSHIP_SESSION": SESSION, **(env or {})},
        cwd=cwd,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def assert_one_clear_line(result: CliResult, *fragments: str, app_logs: bool = False) -> None:
    """A non-zero exit, no traceback, and a last line `error: ...` holding every fragment.

    app_logs: the output shows a failed app's logs, whose own traceback is its cause;
    only the tool's (on stderr) is then ruled out."""
    assert result.code != 0
    assert "Traceback" not in (result.stderr if app_logs else result.stderr + result.stdout)
    assert result.last_line.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.last_line, result.last_line


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Each relative path's text under `root`, folders made as needed; `root`."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def copy_demo(dest: Path) -> Path:
    """A copy of the demo app and its targets.yaml under dest; returns dest."""
    shutil.copytree(REPO / "app", dest / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "targets.yaml", dest / "targets.yaml")
    return dest


def record(root: Path, target: str) -> dict[str, Any]:
    return json.loads((root / "build" / target / "build.json").read_text())


def managed_containers(engine: Any) -> list[Any]:
    import docker.errors

    # list() inspects each container it found; one removed in between (smoke
    # cleaning up while we look) raises NotFound. Look again: that race is not
    # a leftover.
    for _ in range(10):
        try:
            return engine.containers.list(all=True, filters=MANAGED)
        except docker.errors.NotFound:
            continue
    return engine.containers.list(all=True, filters=MANAGED)


def serve_and_get(engine: Any, image: str, *paths: str, within: float = 30) -> list[Any]:
    """Run `image` as its platform would (PORT 8080, published on a free loopback
    port), GET each path once it answers, and always remove the container."""

    import requests

    container = engine.containers.run(image, detach=True, ports={"8080/tcp": ("127.0.0.1", None)},
                                      environment={"PORT": "8080"}, labels={"io.flaskship.session": SESSION})
    try:
        container.reload()
        base = f"http://127.0.0.1:{container.ports['8080/tcp'][0]['HostPort']}"
        deadline = time.monotonic() + within
        while True:
            try:
                requests.get(base + paths[0], timeout=5)
                break
            except requests.ConnectionError:
                container.reload()
                assert container.status == "running" and time.monotonic() < deadline, container.logs().decode()
                time.sleep(0.3)
        return [requests.get(base + path, timeout=5) for path in paths]
    finally:
        container.remove(force=True)


# A tiny installable package, served from a private index in the tests.
PRIVATE_PACKAGE = """\
[project]
name = "flaskship-private-probe"
version = "0.1.0"

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["private_probe"]
"""


def private_index(root: Path, password: str, value: str) -> Any:
    """A real pypiserver on loopback that needs the user `ci` and `password`,
    serving flaskship-private-probe (whose module holds `value`); yields its port."""
    import contextlib
    import warnings

    import requests

    from targets.engine import wheelhouse

    @contextlib.contextmanager
    def serving() -> Any:
        root.mkdir(parents=True, exist_ok=True)
        package = root / "private"
        (package / "private_probe").mkdir(parents=True)
        (package / "private_probe" / "__init__.py").write_text(value)
        (package / "pyproject.toml").write_text(PRIVATE_PACKAGE)
        (root / "packages").mkdir()
        shutil.copy(wheelhouse.build_wheel(package, "private", root / "cache", "index", lambda line: None),
                    root / "packages")
        with warnings.catch_warnings():  # passlib imports the stdlib's deprecated crypt
            warnings.simplefilter("ignore", DeprecationWarning)
            from passlib.apache import HtpasswdFile
        htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
        htpasswd.set_password("ci", password)
        htpasswd.save()
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port),
                                   "-P", str(root / "htpasswd"), "-a", "download,list,update", "--disable-fallback",
                                   str(root / "packages")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/simple/", timeout=2).status_code == 401:
                        break
                except requests.ConnectionError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "pypiserver did not start"
                time.sleep(0.2)
            yield str(port)
        finally:
            server.terminate()
            server.wait(timeout=10)

    return serving()


@dataclass
class UpProcess:
    """A running `invoke up`: its URL, and every line it has printed so far."""
    proc: subprocess.Popen[str]
    lines: list[str]
    url: str = ""

    def read_until(self, predicate: Any, within: float = 120) -> str:
        """Read lines until predicate(line) holds; the line, or an AssertionError with the output."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            assert line, "up ended early:\n" + "".join(self.lines)
            self.lines.append(line)
            if predicate(line):
                return line
        raise AssertionError("".join(self.lines))


def start_up(manifest: Path, target: str, session: str = SESSION, env: dict[str, str] | None = None) -> UpProcess:
    """`invoke up --target` started, read up to its `up at URL` line. The caller stops it with stop_up()."""
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "up", "--target", target,
                             "--manifest", str(manifest)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "FLASKSHIP_SESSION": session, **(env or {})})
    up = UpProcess(proc, [])
    try:
        line = up.read_until(lambda line: re.search(r": up at (http://[0-9.]+:\d+) ", line) is not None)
    except BaseException:
        stop_up(up)
        raise
    found = re.search(r": up at (http://[0-9.]+:\d+) ", line)
    assert found is not None
    up.url = found.group(1)
    return up


def stop_up(up: UpProcess) -> str:
    """Ctrl-C, as a person stops it; its whole output."""
    up.proc.send_signal(signal.SIGINT)
    rest, _ = up.proc.communicate(timeout=120)
    return "".join(up.lines) + rest


def built_and_smoked(manifest: Path) -> CliResult:
    """`invoke build` then `invoke smoke` of every target in `manifest`, both green; smoke's result."""
    build = invoke("build", "--manifest", str(manifest))
    assert build.code == 0, build.stdout + build.stderr
    smoke = invoke("smoke", "--manifest", str(manifest))
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    return smoke


def has_image(engine: Any, ref: str) -> bool:
    """The engine holds `ref` (a name or an id)."""
    import docker.errors
    try:
        engine.images.get(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def tiny_index(folder: Path) -> Path:
    """A folder holding one pure wheel, tiny 1.0: an index for pip's --find-links, offline."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "tiny-1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("tiny/__init__.py", "")
        wheel.writestr("tiny-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n")
        wheel.writestr("tiny-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr("tiny-1.0.dist-info/RECORD", "")
    return folder


def remove_project_images(base: Path) -> int:
    """Remove every image built for a project folder under `base` (the session's tmp
    folders); how many went. Those folders are gone after the run, so nothing else could
    ever tell these images from a user's, and an engine holding thousands of images
    builds slower: each classic-builder step scans them (a cold build of the demo took
    3.1-3.8 s beside 3,660 images, 2.4-2.6 s beside 40)."""
    import docker

    from targets.engine.docker_client import LABEL, project_id

    ids = set()
    for folder, dirs, files in os.walk(base):
        dirs[:] = [d for d in dirs if d != "build" and not d.startswith(".")]  # outputs and caches: no manifest
        if any(name.endswith((".yaml", ".yml")) for name in files):  # a project is its manifest's folder
            ids.add(project_id(Path(folder)))
    try:
        engine = docker.from_env()
        pending = [image.id for image in engine.images.list(all=True, filters={"label": f"{LABEL}.project"})
                   if image.labels.get(f"{LABEL}.project") in ids]
    except docker.errors.DockerException:
        return 0  # no engine: nothing was built
    removed = 0
    while pending:  # children before their parents: those fail and are tried again after
        failed = []
        for image in pending:
            try:
                engine.images.remove(image, force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError:
                failed.append(image)
        if len(failed) == len(pending):
            break
        pending = failed
    return removed


# Users run compose v2; Debian's package is v1. bin/setup installs both, so the tests run each.
COMPOSE_PROGRAMS = ["docker compose", "docker-compose"]


def compose_installed(program: str) -> None:
    """Fails (never skips) where bin/setup did not install `program`."""
    found = subprocess.run([*program.split(), "version"], capture_output=True, text=True)
    assert found.returncode == 0, f"`{program}` is not installed: run bin/setup ({found.stderr.strip()})"
