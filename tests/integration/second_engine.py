"""A second Docker engine of the tests' own: its own socket, data, exec root, pidfile and bridge.

The shared engine is never touched: what this engine made dies with its data
root. The local base stand-in is copied in with `docker save | docker load`.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import free_port

STANDIN = "flaskship-standin/python:3.12-slim"
NGINX_STANDIN = "flaskship-standin/nginx:stable-bookworm"


@dataclass
class Engine:
    root: Path
    process: subprocess.Popen[bytes]
    tcp_port: int

    @property
    def unix(self) -> str:
        return f"unix://{self.root}/docker.sock"

    @property
    def tcp(self) -> str:
        return f"tcp://127.0.0.1:{self.tcp_port}"

    def kill(self) -> None:
        """The engine going away at once (a crash), as a test's fault."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def _docker(host: str, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", "-H", host, *args], capture_output=True, timeout=120, **kwargs)  # type: ignore[call-overload]




def _unmount_under(root: Path) -> None:
    """A killed dockerd leaves its data root bind-mounted; unmount the deepest first."""
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(str(root))), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


@contextlib.contextmanager
def second_engine() -> Iterator[Engine]:
    root = Path(tempfile.mkdtemp(prefix="fs-engine-", dir="/tmp"))  # short: a unix socket path has 108 bytes
    bridge = f"fs{uuid.uuid4().hex[:8]}"
    subnet = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
    process: subprocess.Popen[bytes] | None = None
    # Containers on its bridge talk to each other (the Hosting edge to the app). This
    # engine runs with --iptables=false, so it adds no rule of its own, and the first
    # engine's FORWARD policy (DROP, bridged traffic included) would drop them.
    forward = ["-i", bridge, "-o", bridge, "-j", "ACCEPT"]
    # A bridge without an address of its own takes the lowest of its ports', so it
    # changed as containers came and went, and requests to published ports stalled for
    # seconds (measured: of 60 smokes, 11 slow and 1 timed out; none with a fixed
    # address). Docker gives its own bridges a fixed address; a locally administered
    # one does the same here.
    mac = "02:" + ":".join(f"{random.randint(0, 255):02x}" for _ in range(5))
    try:
        for command in (["ip", "link", "add", bridge, "address", mac, "type", "bridge"],
                        ["ip", "addr", "add", f"{subnet}.1/24", "dev", bridge],
                        ["ip", "link", "set", bridge, "up"], ["iptables", "-I", "FORWARD", *forward]):
            subprocess.run(command, check=True, capture_output=True)
        port = free_port()
        log = (root / "dockerd.log").open("wb")
        process = subprocess.Popen(
            ["dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"), "--pidfile",
             str(root / "dockerd.pid"), "-H", f"unix://{root}/docker.sock", "-H", f"tcp://127.0.0.1:{port}",
             f"--bridge={bridge}", "--iptables=false", "--ip-masq=false"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        engine = Engine(root, process, port)
        deadline = time.monotonic() + 60
        while _docker(engine.unix, "info").returncode != 0:
            assert process.poll() is None and time.monotonic() < deadline, (root / "dockerd.log").read_text()[-3000:]
            time.sleep(0.3)
        # The Python base, and nginx for the Hosting edge in front of cloudrun.
        saved = subprocess.Popen(["docker", "save", STANDIN, NGINX_STANDIN], stdout=subprocess.PIPE)
        loaded = _docker(engine.unix, "load", stdin=saved.stdout)
        assert saved.wait() == 0 and loaded.returncode == 0, loaded.stderr
        yield engine
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        _unmount_under(root)
        subprocess.run(["iptables", "-D", "FORWARD", *forward], capture_output=True)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
