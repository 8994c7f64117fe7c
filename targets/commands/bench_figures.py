"""The bench's measurements, each as a user would take it: wall clocks around real
processes (`invoke`, `docker`, `ab`), sizes and layers as the engine reports them.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ..engine import docker_client
from ..errors import FlaskshipError

LOAD_CONCURRENCY = 16


class BenchError(FlaskshipError):
    """A bench step failed: the command, and the tail of what it said."""


def run(command: Sequence[str], label: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    """Run a process to its end; the wall time, process start included. A failure is a BenchError."""
    started = time.monotonic()
    result = subprocess.run(list(command), capture_output=True, text=True, env=env, cwd=cwd)
    took = time.monotonic() - started
    if result.returncode != 0:
        raise BenchError(f"bench: {label} failed (exit {result.returncode})",
                         "\n".join((result.stdout + result.stderr).splitlines()[-30:]))
    return took


def machine_cpu() -> float | None:
    """CPU-seconds this machine has been busy since boot: every core, every process (the
    engine, runc, the containers, this tool) and the kernel, from /proc/stat. None where
    that cannot say what a run cost: no /proc/stat, or an engine on another machine."""
    if not docker_client.engine_endpoint().local:
        return None
    try:
        fields = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 8:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, _steal = fields  # steal: another guest's time
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run_cpu(command: Sequence[str], label: str, env: dict[str, str] | None = None) -> tuple[float, float | None]:
    """run(), and the machine's CPU-seconds over it (None: see machine_cpu)."""
    before = machine_cpu()
    took = run(command, label, env=env)
    after = machine_cpu()
    return took, (after - before if before is not None and after is not None else None)


def engine_state() -> dict[str, object]:
    """The engine's version and how many images it holds: a figure's context. The classic
    builder looks through the images on each step, so the same build is slower on an engine
    that holds thousands (a cold build of the demo: 3.1-3.8 s beside 3,660, 2.4-2.6 s beside 40)."""
    engine = docker_client.client()
    return {"version": str(engine.version().get("Version", "?")), "images": len(engine.images.list(all=True))}


def spread(values: Sequence[float]) -> dict[str, float | int]:
    """Median and spread (min, max) of the rounds."""
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "rounds": len(values)}


def _layers(image: str) -> list[tuple[str, int]]:
    """(diff id, size) of each layer. History entries that made a layer are the
    ones that ran something or copied files (and WORKDIR, which may), newest first."""
    found = docker_client.client().images.get(image)
    diff_ids: list[str] = found.attrs["RootFS"]["Layers"]
    made = [int(entry["Size"]) for entry in reversed(found.history())
            if "#(nop)" not in entry["CreatedBy"] or re.search(r"#\(nop\) (COPY|ADD|WORKDIR) ", entry["CreatedBy"])]
    if len(made) != len(diff_ids):  # a WORKDIR that made no layer: spread what history counts
        made = [int(entry["Size"]) for entry in reversed(found.history()) if int(entry["Size"])]
        made += [0] * (len(diff_ids) - len(made))
    return list(zip(diff_ids, made[: len(diff_ids)], strict=True))


def sizes(images: dict[str, str], bases: Sequence[str]) -> dict[str, object]:
    """Each image's size and size above its base, and the bytes the images hold
    once shared layers are counted once (in total, and above the base layers)."""
    base_layers = {diff for base in bases for diff, _ in _layers(base)}
    unique: dict[str, int] = {}
    per_image = {}
    for name, image in images.items():
        layers = _layers(image)
        total = sum(size for _, size in layers)
        above = sum(size for diff, size in layers if diff not in base_layers)
        per_image[name] = {"id": image, "total": total, "above_base": above}
        unique.update(layers)
    return {"images": per_image,
            "total": sum(i["total"] for i in per_image.values()),
            "above_base": sum(i["above_base"] for i in per_image.values()),
            "unique": sum(unique.values()),
            "unique_above_base": sum(size for diff, size in unique.items() if diff not in base_layers)}


def first_200_and_stop(image: str, env: dict[str, str], port: int, path: str, session: str,
                       stop_after: int | None, limits: Sequence[str] = ()) -> tuple[float, float | None, bool]:
    """`docker run` (with the platform's `limits`) to the first 200 on `path`, then `docker stop`:
    both wall times (CLI processes included), and whether the stop had to SIGKILL. With no
    `stop_after`, no stop is timed (None): the container is removed at once."""
    started = time.monotonic()
    container = _detached(image, env, port, session, limits)
    try:
        url = f"http://127.0.0.1:{_host_port(container, port)}{path}"
        up = _first_200(url, started, container)
        if stop_after is None:
            return up, None, False
        stopping = time.monotonic()
        subprocess.run(["docker", "stop", "-t", str(stop_after), container], capture_output=True, check=True)
        stopped = time.monotonic() - stopping
        code = subprocess.run(["docker", "inspect", "-f", "{{.State.ExitCode}}", container],
                              capture_output=True, text=True).stdout.strip()
        return up, stopped, code == "137"
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def bare_first_200(image: str, port: int, session: str, limits: Sequence[str] = ()) -> float:
    """`docker run` to the first 200 of a bare `python -m http.server` in `image` instead of
    its server: what the engine, the CLI and a Python start cost before any app code, the
    floor under the image's own first-200 figure on this machine."""
    started = time.monotonic()
    container = _detached(image, {}, port, session, limits, run=("--entrypoint", "python"),
                          command=("-m", "http.server", str(port)))
    try:
        return _first_200(f"http://127.0.0.1:{_host_port(container, port)}/", started, container)
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)


def _detached(image: str, env: dict[str, str], port: int, session: str, limits: Sequence[str] = (),
              run: Sequence[str] = (), command: Sequence[str] = ()) -> str:
    """`docker run -d` of `image` with PORT and `env`, its port published on loopback and
    labelled as this bench session's (`run`: more options; `command`: its arguments): the container's id."""
    options = ["docker", "run", "-d", *limits, *run, "--label", f"{docker_client.LABEL}.session={session}",
               "--label", f"{docker_client.LABEL}.managed=true", "-p", f"127.0.0.1::{port}", "-e", f"PORT={port}"]
    for key, value in env.items():
        options += ["-e", f"{key}={value}"]
    result = subprocess.run([*options, image, *command], capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"bench: docker run {image[:19]} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def _host_port(container: str, port: int) -> int:
    out = subprocess.run(["docker", "port", container, f"{port}/tcp"], capture_output=True, text=True).stdout
    if not out.split():  # no port: the container is gone already
        raise _failed(container, f"port {port}", "exited before its port was published")
    return int(out.split()[0].rpartition(":")[2])


# Whether the container still runs is asked only after this long, so that the engine
# calls stay out of the first-200 figures (0.3-0.5 s) they would otherwise slow.
EXIT_CHECK_AFTER = 2.0


def _first_200(url: str, started: float, container: str, within: float = 30.0) -> float:
    """Seconds from `started` to the first 200 on `url`; a BenchError, with the container's
    last lines, once the container has exited or `within` has passed."""
    checked = started + EXIT_CHECK_AFTER
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never the environment's proxy
    while time.monotonic() - started < within:
        try:
            with direct.open(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (OSError, http.client.HTTPException):
            # HTTPException: an answer that is not HTTP, from a server half up (or none).
            pass
        if time.monotonic() > checked:
            if not _running(container):
                raise _failed(container, url, "exited before its first 200")
            checked = time.monotonic() + 0.5
        time.sleep(0.005)
    raise _failed(container, url, f"gave no 200 within {within:g} s")


def _failed(container: str, where: str, what: str) -> BenchError:
    logs = subprocess.run(["docker", "logs", "--tail", "20", container], capture_output=True, text=True)
    return BenchError(f"bench: container {container[:12]} ({where}) {what}; its log follows",
                      (logs.stdout + logs.stderr)[-2000:])


def _running(container: str) -> bool:
    inspect = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", container],
                             capture_output=True, text=True)
    return inspect.stdout.strip() == "true"


def load(image: str, env: dict[str, str], port: int, path: str, session: str, limits: list[str],
         requests: int) -> dict[str, float]:
    """Requests per second and errors from a bounded loopback load (ab: `requests`
    GETs, 16 at a time, after a warm-up) on a container under the platform's limits."""
    container = _detached(image, env, port, session, limits)
    try:
        url = f"http://127.0.0.1:{_host_port(container, port)}{path}"
        _first_200(url, time.monotonic(), container)
        inside = _its_loopback(container)
        # -r: a reset connection is an error to count, not the end of the run.
        ab = [*inside, "ab", "-q", "-r", "-c", str(LOAD_CONCURRENCY), "-s", "30"]
        if inside:
            url = f"http://127.0.0.1:{port}{path}"
        subprocess.run([*ab, "-n", str(max(100, requests // 10)), url], capture_output=True)  # warm-up
        started = time.monotonic()
        result = subprocess.run([*ab, "-n", str(requests), url], capture_output=True, text=True)
        took = time.monotonic() - started
        out = result.stdout + result.stderr
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    rps = re.search(r"Requests per second:\s+([0-9.]+)", out)
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    complete = re.search(r"Complete requests:\s+(\d+)", out)
    if not rps or not complete:
        done = re.search(r"Total of (\d+) requests completed", out)
        if done is None:
            raise BenchError("bench: ab gave no figures (is apache2-utils installed? bin/setup installs it)",
                             out[-2000:])
        # ab gave up (a request took over 30 s): every request it did not finish is an error,
        # and the rate is what the client got over the whole round, the wait included.
        return {"rps": int(done[1]) / took, "errors": float(requests - int(done[1])), "aborted": 1.0,
                "loopback": float(bool(inside))}
    errors = int(failed[1]) if failed else 0
    errors += int(non_2xx[1]) if non_2xx else 0
    errors += requests - int(complete[1])
    return {"rps": float(rps[1]), "errors": float(errors), "loopback": float(bool(inside))}


def _its_loopback(container: str) -> list[str]:
    """nsenter's command to run `ab` in the container's own network namespace, where the
    server is on loopback; [] (then the published port) where that cannot be done here.

    A port published on the host's loopback goes through docker-proxy, a userland copy
    of each connection, which after some tens of thousands of short connections stalls
    one for over 30 s (moby/moby#47537). Measured here with one sync worker: 3 rounds of
    6 stalled through the published port, none of 8 on the container's loopback. Neither
    platform has it in front of the app, so the load goes around it, for both arms: the
    traffic stays on loopback, and `ab` runs outside the container's limits as before."""
    if not docker_client.engine_endpoint().local or os.geteuid() != 0 or shutil.which("nsenter") is None:
        return []
    inspect = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}} {{.Id}}", container],
                             capture_output=True, text=True)
    pid, _, full_id = inspect.stdout.strip().partition(" ")
    try:
        # The pid must be a process of this very container on this kernel (an engine in a
        # VM, as Docker Desktop runs it, reports a pid of the VM's).
        ours = full_id and full_id in Path(f"/proc/{pid}/cgroup").read_text()
    except (OSError, ValueError):
        return []
    return ["nsenter", f"--net=/proc/{pid}/ns/net"] if pid.isdigit() and ours else []


def load_summary(measured: Sequence[dict[str, float]]) -> dict[str, float | list[float]]:
    """One arm's rounds of load(): the median rate over every round with its spread, and
    every error. A round ab gave up on counts at the rate the client got, not left out:
    leaving it out kept only an arm's rounds without a stall, as if it had not failed."""
    rates = [run["rps"] for run in measured]
    return {"rps": statistics.median(rates) if rates else 0.0,
            "loopback": float(all(run.get("loopback") for run in measured)) if measured else 0.0,
            "rps_spread": [min(rates), max(rates)] if rates else [0.0, 0.0],
            "errors": sum(run["errors"] for run in measured),
            "aborted": float(sum(1 for run in measured if run.get("aborted"))),
            "rounds": len(measured)}
