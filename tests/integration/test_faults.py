"""Faults leave nothing behind: Ctrl-C once and twice at several points, a crash
and a hang at import, a container killed mid-smoke, two smokes of one target at
once while the usual ports are taken, and a full disk.

One project is built once for the module: the demo app whose wsgi.py fails as
FAULT tells it (tests/fixtures/faultapp), with environments `crash` and
`hang`. Every run gets a FLASKSHIP_SESSION of its own, and afterwards the
tool's labels must find none of its containers, networks or compose projects.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import docker
import docker.errors
import pytest
import yaml

from tests.helpers import REPO, CliResult, assert_one_clear_line, copy_demo, invoke

pytestmark = pytest.mark.docker
BOOT_WITHIN = 8
FAULTY_ENV = {"APP_ENV": "development", "GREETING": "faults"}


def session() -> str:
    return f"pytest-fault-{uuid.uuid4().hex[:8]}"


def leftovers(engine: docker.DockerClient, run: str) -> list[str]:
    """What the tool's labels find of one run: containers, networks, compose projects."""
    found = [f"container {c.name}" for c in engine.containers.list(all=True, filters={"label": f"io.flaskship.session={run}"})]
    for network in engine.networks.list(filters={"label": "com.docker.compose.project"}):
        if run.lower() in network.attrs["Labels"].get("com.docker.compose.project", ""):
            found.append(f"network {network.name}")
    for container in engine.containers.list(all=True, filters={"label": "com.docker.compose.project"}):
        if run.lower() in container.labels.get("com.docker.compose.project", ""):
            found.append(f"compose project {container.labels['com.docker.compose.project']}")
    return found


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_demo(tmp_path_factory.mktemp("faulty"))
    (root / "app/wsgi.py").write_text((REPO / "tests/fixtures/faultapp/wsgi.py").read_text())
    manifest = yaml.safe_load((root / "targets.yaml").read_text())
    manifest["environments"].update({name: {"env": {**FAULTY_ENV, "FAULT": name}} for name in ("crash", "hang", "failing")})
    (root / "targets.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    # The crash and the hang fail every target: bound each one's boot window, so the test is short.
    manifest["smoke"]["boot_within"] = BOOT_WITHIN
    (root / "bounded.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    result = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert result.code == 0, result.stdout + result.stderr
    yield root


def _records(root: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in (root / "build").glob("*/build.json")}


def _smoke(root: Path, run: str, *args: str, timeout: float = 600, manifest: str = "bounded.yaml",
           **env: str) -> CliResult:
    return invoke("smoke", "--manifest", str(root / manifest), *args, env={"FLASKSHIP_SESSION": run, **env},
                  timeout=timeout)


def test_a_crash_at_import_fails_every_target_with_its_cause_in_view(faulty: Path, engine: docker.DockerClient) -> None:
    run = session()
    # The platforms' own boot windows, not the short one: a crash fails as soon as the app exits.
    # With the other test worker and a 4-target build beside it, compose's web had logged nothing
    # when the 8 s window closed, and the failure showed an empty log.
    result = _smoke(faulty, run, "--env", "crash", "--force", manifest="targets.yaml")
    assert_one_clear_line(result, "smoke failed", "boot", app_logs=True)
    for target in ("cloudrun", "compose", "functions", "heroku"):
        logs = result.stdout.split(f"--- last log lines of {target} ")[1].split("--- last log lines of")[0]
        assert "RuntimeError: planted crash at import (FAULT=crash)" in logs, (target, logs)
    # Every worker of every variant logged that traceback: it is printed in full once, and each
    # repeat is one line naming where it was shown (smoke/repeats.py).
    assert result.stdout.count('raise RuntimeError("planted crash at import (FAULT=crash)")') == 1, result.stdout
    assert "(the same traceback as in cloudrun [PORT unset] above: RuntimeError: planted crash" in result.stdout
    assert leftovers(engine, run) == []


def test_an_app_that_starts_and_answers_500_fails_every_target_without_waiting_out_compose(
        faulty: Path, engine: docker.DockerClient) -> None:
    # anitya without its tables answered 500: compose's `up` waited out web's healthcheck
    # start_period (60 s) where the other kinds failed after 2 s of 500s. Its watch now reads
    # the status the healthcheck prints and stops `up`.
    run = session()
    result = _smoke(faulty, run, "--env", "failing", "--force", manifest="targets.yaml")
    assert_one_clear_line(result, "smoke failed", "boot", app_logs=True)
    report = json.loads((faulty / "build/smoke.json").read_text())["targets"]
    boot = next(r for r in report["compose"]["results"] if r["check"] == "boot")
    assert boot["status"] == "fail" and "web is up but answers /healthz with HTTP 500 (its healthcheck, for" \
        in boot["got"], boot
    logs = result.stdout.split("--- last log lines of compose ")[1].split("--- last log lines of")[0]
    assert "planted failure of every request (FAULT=failing)" in logs, logs
    for target in ("cloudrun", "functions", "heroku"):
        boots = [r for r in report[target]["results"] if r["check"] == "boot"]
        assert boots and all("answers HTTP 500" in str(b["got"]) for b in boots), (target, boots)
    assert leftovers(engine, run) == []


def test_a_hang_at_import_fails_each_target_once_within_its_deadline(faulty: Path, engine: docker.DockerClient) -> None:
    run = session()
    # Four targets, one deadline each (plus start and teardown), never the sum of every variant's.
    result = _smoke(faulty, run, "--env", "hang", "--force", timeout=4 * (BOOT_WITHIN + 25))
    assert_one_clear_line(result, "smoke failed", f"within {BOOT_WITHIN} s", app_logs=True)
    report = json.loads((faulty / "build/smoke.json").read_text())["targets"]
    for target in ("cloudrun", "compose", "functions", "heroku"):
        boots = [r for r in report[target]["results"] if r["check"] == "boot"]
        # Variants run one after another skip once one failed to boot; cloudrun's run side by
        # side and share the one deadline: either way, no second wait.
        assert boots and {b["status"] for b in boots} == {"fail"}, (target, boots)
        logs = result.stdout.split(f"--- last log lines of {target} ")[1].split("--- last log lines of")[0]
        assert "planted hang at import (FAULT=hang)" in logs, (target, logs)
        # Where the platform itself waits longer (Cloud Run's startup probe: 240 s), the failure
        # says how to give a slow app that long; Heroku's R10 is its 60 s, compose has none.
        longer = "the platform allows 240 s: set smoke.boot_within (up to 240) to wait longer"
        assert all((longer in str(b["got"])) == (target in ("cloudrun", "functions")) for b in boots), (target, boots)
    assert leftovers(engine, run) == []


def _interrupt(args: list[str], root: Path, run: str, marker: str, after: float, twice: bool) -> tuple[int, str]:
    """Start the CLI as a terminal would (its own process group), wait for `marker`, then
    Ctrl-C the whole group, once or twice; return (exit code, output)."""
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), *args, "--manifest",
                             str(root / "targets.yaml")], env={**os.environ, "FLASKSHIP_SESSION": run,
                                                               "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            seen.append(line)
            if marker in line:
                time.sleep(after)
                os.killpg(proc.pid, signal.SIGINT)
                if twice:
                    time.sleep(0.3)
                    os.killpg(proc.pid, signal.SIGINT)
                break
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = "".join(seen) + rest
    assert marker in output, output
    return proc.returncode, output


@pytest.mark.parametrize(("args", "marker", "after", "twice"), [
    (["smoke", "--target", "compose", "--force"], "compose up (project", 0.0, True),  # while compose starts it
    (["smoke", "--target", "cloudrun", "--force"], "starting", 0.2, False),  # while the container boots
    (["smoke", "--target", "heroku", "--force"], "boot: ok", 0.0, True),  # during the checks
], ids=["smoke-compose-up-twice", "smoke-cloudrun-boot-once", "smoke-heroku-checks-twice"])
def test_ctrl_c_during_smoke_leaves_nothing(faulty: Path, engine: docker.DockerClient, args: list[str], marker: str,
                                            after: float, twice: bool) -> None:
    run = session()
    code, output = _interrupt(args, faulty, run, marker, after, twice)
    assert code == 130, output
    assert "Traceback" not in output
    assert output.rstrip().endswith("interrupted; everything this run started has been removed"), output
    assert leftovers(engine, run) == []


@pytest.mark.parametrize(("target", "edited", "marker", "after"), [
    # The Hosting lint's probe container, which runs beside the build from the shared stage on, and ends last.
    ("cloudrun", "app/demo/__init__.py", "cloudrun: built image", 0.0),
    ("heroku", "app/demo/__init__.py", ": Step ", 0.0),  # inside `docker build`
    # A new static file makes a new nginx image, which `nginx -t` checks in a container of its own.
    ("compose", "app/demo/static/style.css", "checking nginx.conf with `nginx -t`", 0.0),
], ids=["build-probe", "build-docker-build", "build-nginx"])
def test_ctrl_c_twice_during_build_leaves_the_last_good_build(faulty: Path, engine: docker.DockerClient, target: str,
                                                              edited: str, marker: str, after: float) -> None:
    run = session()
    before = _records(faulty)
    changed = faulty / edited
    original = changed.read_text()
    changed.write_text(original + (f"/* edited {run} */\n" if edited.endswith(".css") else f"# edited {run}\n"))
    try:
        # --verbose: docker's step lines and the nginx check's line are the markers to interrupt at.
        code, output = _interrupt(["build", "--target", target, "--verbose"], faulty, run, marker, after, True)
    finally:
        changed.write_text(original)
    assert code == 130 and "Traceback" not in output, output
    assert leftovers(engine, run) == []
    records = _records(faulty)
    if marker.endswith("built image"):
        # Interrupted in a check that only warns, after the target's own build was in place:
        # that build stays, whole (its image in the engine).
        assert records[target] != before[target] and engine.images.get(json.loads(records[target])["images"]["app"]["id"])
        records[target] = before[target]
    assert records == before  # the last good build, untouched
    assert not [p.name for p in (faulty / "build").iterdir() if p.name.startswith((".staging-", ".retired-"))]


def _kill_when(root: Path, run: str, args: list[str], marker: str, victim: dict[str, str],
               engine: docker.DockerClient) -> CliResult:
    """Run the CLI; when `marker` appears, kill the container matching the labels `victim`."""
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), *args, "--manifest",
                             str(root / "targets.yaml")], env={**os.environ, "FLASKSHIP_SESSION": run,
                                                               "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            labels = [f"io.flaskship.session={run}", *(f"{k}={v}" for k, v in victim.items())]
            deadline = time.monotonic() + 10
            while not (found := engine.containers.list(filters={"label": labels})) and time.monotonic() < deadline:
                time.sleep(0.05)  # "starting" is printed just before the container is created
            assert found, f"no container labelled {labels}"
            killed = 0
            for container in found:
                try:
                    container.kill()
                    killed += 1
                except (docker.errors.NotFound, docker.errors.APIError) as exc:
                    # Stopped since it was listed (seen once in CI: 409, not running):
                    # cloudrun's variants run side by side, and one that already booted
                    # can reach its own sigterm-stop check while the others are killed.
                    if killed == 0:
                        raise AssertionError(f"could not kill {container.name}: {exc}") from exc
            break
    rest, err = proc.communicate(timeout=300)
    return CliResult(proc.returncode, "".join(seen) + rest, err)


@pytest.mark.parametrize(("target", "marker", "victim"), [
    # through nginx, after boot: the next request is refused outright
    ("compose", "boot: ok", {"com.docker.compose.service": "nginx"}),
    # while it boots (its checks take a tenth of a second: killing it after boot is a race)
    ("cloudrun", "starting", {"io.flaskship.target": "cloudrun"}),
], ids=["compose-nginx-after-boot", "cloudrun-while-booting"])
def test_a_container_killed_mid_smoke_is_a_failure_not_a_crash(faulty: Path, engine: docker.DockerClient,
                                                               target: str, marker: str, victim: dict[str, str]) -> None:
    run = session()
    result = _kill_when(faulty, run, ["smoke", "--target", target, "--force"], marker, victim, engine)
    assert_one_clear_line(result, "smoke failed")
    assert leftovers(engine, run) == []


def test_two_smokes_of_one_target_at_once_merge_while_the_usual_ports_are_taken(faulty: Path,
                                                                               engine: docker.DockerClient) -> None:
    (faulty / "build/smoke.json").write_text('{"targets": {"compose": ')  # corrupt: each recovers from it
    runs = [session(), session()]
    with ExitStack() as held:
        for port in (8000, 8080, 9090):  # compose's default publish port and the platform ports
            sock = held.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                sock.listen()
            except OSError:
                pass  # someone else holds it already: taken either way
        procs = [subprocess.Popen([sys.executable, "-m", "invoke", "--search-root", str(REPO), "smoke", "--target",
                                   "compose", "--force", "--env", env, "--manifest", str(faulty / "targets.yaml")],
                                  env={**os.environ, "FLASKSHIP_SESSION": run}, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for run, env in zip(runs, ("development", "staging"))]
        outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, out + err
        assert "Traceback" not in out + err
    assert sum("smoke.json is unreadable" in out for out, _ in outputs) >= 1
    compose = json.loads((faulty / "build/smoke.json").read_text())["targets"]["compose"]
    assert sorted(compose["environments"]) == ["development", "staging"]  # neither run lost the other's verdict
    assert all(v["passed"] for v in compose["environments"].values())
    for run in runs:
        assert leftovers(engine, run) == []


@pytest.fixture(params=["1m", "20k"], ids=["cache-fills-up", "build-fills-up"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the demo whose build/ is a small tmpfs: 1 MB fills up while the wheels are
    downloaded into build/.cache, 20 kB while the build's lock is kept there; unmounted afterwards."""
    root = copy_demo(tmp_path / "project")
    (root / "build").mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={request.param}", "tmpfs", str(root / "build")], check=True)
    try:
        yield root, "while downloading wheels" if request.param == "1m" else "build/.cache/locks/"
    finally:
        subprocess.run(["umount", str(root / "build")], check=True)


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(small_disk: tuple[Path, str],
                                                                 engine: docker.DockerClient) -> None:
    root, where = small_disk
    run = session()
    result = invoke("build", "--manifest", str(root / "targets.yaml"), "--target", "functions",
                    env={"FLASKSHIP_SESSION": run})
    assert_one_clear_line(result, "No space left on device", where, "free some space")
    assert not [p.name for p in (root / "build").iterdir() if p.name.startswith((".staging-", ".retired-"))]
    assert not list((root / "build").rglob("*.tmp"))
    assert leftovers(engine, run) == []
