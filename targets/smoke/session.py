"""Running one smoke session: containers up, checks put, verdicts recorded.

Kinds call SmokeRun.serve() (or their own runner plus SmokeRun.conform())
for each way their platform runs them. Every failure is recorded with what
was expected, what came back and the container's logs; nothing stops early
except a target that never came up.
"""

from __future__ import annotations

import contextlib
import copy
import os
import secrets
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import requests
from docker.models.containers import Container

from ..engine import docker_client, outbound
from ..errors import SmokeFailed
from ..services.live import Live
from ..ui.lines import Notice, notice
from . import conformance, hints
from .report import Result, verdict

if TYPE_CHECKING:
    from ..manifest import Project
    from ..records import BuildRecord

POLL = 0.1
FAILING_FOR = 2.0
EXITING_WITHIN = 3  # seconds a server that stopped answering gets to exit, so that its reason is told
# gunicorn's master log line for a worker that failed to boot (WORKER_BOOT_ERROR), after which it halts,
# and how long that halt may take: past the longest graceful_timeout flaskship gives it (heroku: 25 s).
BOOT_ERROR = "exited with code 3"
HALTING_WITHIN = 30
TIMED = frozenset({"boot", "sigterm-stop"})
# Checks recorded once per path under one name (one matrix row): their lines name the path,
# or a run printed "edge-set-cookie-never-kept: ok" fourteen times, saying nothing of which.
PER_PATH = frozenset({"edge-set-cookie-never-kept"})


@dataclass
class SmokeRun:
    project: Project
    env_name: str
    progress: Callable[[str], None] = print
    results: list[Result] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    # The run's backing services (targets/services), set by the smoke command while they run.
    services: Live = field(default_factory=lambda: Live(None))
    # Ctrl-C for work on other threads (the command sets its reporter's cancel):
    # each thread's next progress line then raises KeyboardInterrupt there.
    cancel: Callable[[], None] = lambda: None
    # Targets whose verdict this run took from an earlier one (a cached pass).
    cached: set[str] = field(default_factory=set)
    # target -> service -> how often the app reached it over the target's smoke (smoke/usage.py).
    used: dict[str, dict[str, int]] = field(default_factory=dict)
    # Targets whose verdict is another's in this very run (smoke/same_run.py): copy -> that target.
    same_as: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _, environment = self.project.environment(self.env_name)
        self.env: dict[str, str] = dict(environment.env)
        for name in environment.secrets:
            # Secrets come from the host at run time and never enter a file or
            # layer; a smoke run without one gets a throwaway value.
            value = os.environ.get(name)
            if value is None:
                value = secrets.token_urlsafe(32)
                notice(self.progress, f"  note: {name} is not set; smoke uses a throwaway value", ("secret", name))
            self.env[name] = value
        self.suite = conformance.suite(self.project, environment.env)

    def fork(self, progress: Callable[[str], None]) -> SmokeRun:
        """The same run (environment, secrets, suite) for one target on a thread of its
        own, with its own results and logs: the command merges them in target order."""
        twin = copy.copy(self)
        twin.progress, twin.results, twin.logs, twin.cached, twin.used, twin.same_as = progress, [], {}, set(), {}, {}
        return twin

    def side_by_side(self, *variants: Callable[[SmokeRun], None]) -> None:
        """Run a target's variants at once (each on a fork of this run, so its own
        containers and results), then keep their results and logs in the order given."""
        forks = [self.fork(self.progress) for _ in variants]
        pool = ThreadPoolExecutor(max_workers=len(variants), thread_name_prefix="flaskship-variant")
        futures = [pool.submit(variant, twin) for variant, twin in zip(variants, forks, strict=True)]
        try:
            wait(futures)
        except KeyboardInterrupt:
            # Each variant then unwinds at its next progress line (its container removed
            # in its own `finally`) and says nothing more: the interrupt is the last word.
            self.cancel()
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        for future, twin in zip(futures, forks, strict=True):
            self.results.extend(twin.results)
            self.logs.update(twin.logs)
        for future in futures:
            future.result()  # the first failure, in the order given

    def record(self, target: str, variant: str, check: str, ok: bool, expected: str = "", got: str = "",
               differences: Mapping[str, str] | None = None, path: str = "",
               observed: conformance.Observed | None = None) -> None:
        status, note = verdict(ok, path, differences or {})
        expected, got = self.scrub(expected), self.scrub(got)
        self.results.append(Result(target, variant, check, status, expected, got, note, path,
                                   asdict(observed) if observed else None))
        mark = {"pass": "ok", "fail": "FAIL", "differs": "differs by platform"}[status]
        if status == "fail":
            detail = f" (expected {expected}; got {got})"
        else:
            # Timings are worth seeing even when they pass.
            detail = f" ({note or got})" if (note or check in TIMED) else ""
        shown = f"{check} {path}" if check in PER_PATH and path else check
        line = f"  {target} [{variant}] {shown}: {mark}{detail}"
        self.progress(Notice(line) if status == "fail" else line)

    def conform(self, target: str, variant: str, base: str, differences: Mapping[str, str]) -> None:
        for check, (path, outcome) in conformance.run(base, self.suite, {"FLASKSHIP_TARGET": target}).items():
            self.record(target, variant, check, outcome.ok, outcome.expected, outcome.got, differences, path,
                        outcome.observed)

    def boot_within(self, window: float, limit: float | None = None) -> float:
        """How long a target may take to answer its health path: smoke.boot_within when set, up to
        the platform's own limit (`limit`; else `window` is that limit), else `window`."""
        wanted = self.project.manifest.smoke.boot_within
        ceiling = window if limit is None else limit
        return min(float(wanted), ceiling) if wanted else min(window, ceiling)

    def release(self, record: BuildRecord, image: str, *, env: Mapping[str, str] | None = None,
                user: str | None = None, within: float = 300, files: bytes | None = None) -> bool:
        """app.release, as a release phase runs it: once, in a container of its own
        whose files are then discarded. False (recorded) when it fails. `files`: the
        code the image's containers get at start (build/code.py)."""
        command = self.project.manifest.app.release
        if command is None:
            return True
        target, started = record.target, time.monotonic()
        self.progress(f"  {target} [release]: {command}")
        code, log = docker_client.run_once(image, target, ["/bin/sh", "-c", command],
                                           environment={**self.env, **(env or {})}, user=user, timeout=within,
                                           network=self.network(target), files=files)
        took = time.monotonic() - started
        ok = code == 0
        self.record(target, "release", "release", ok, f"exit 0 within {within:g} s",
                    (f"exit {code} after {took:.1f} s" if code is not None else f"still running after {within:g} s")
                    + ("" if ok else hints.release(log)))
        if not ok:
            self.logs[f"{target} [release]"] = log
        elif self._resets:
            # What the release step made is what each of this target's runs starts from.
            self.services.snapshot(self.service_names(target))
        return ok

    def serve(self, record: BuildRecord, image: str, *, variant: str, env: Mapping[str, str],
              container_port: int, user: str | None = None, stop_within: float | None = None,
              stop_grace: int = 10, boot_within: float = 30.0, boot_limit: float | None = None,
              differences: Mapping[str, str] | None = None,
              extra: Callable[[SmokeRun, str, str, Container], None] | None = None,
              direct: bool = True, limits: Mapping[str, object] | None = None,
              files: bytes | None = None, slow_stop: str = "") -> None:
        """One way the platform runs the image: boot, the suite put to the container
        (unless `direct` is False: then `extra` puts it, through what stands in front),
        `extra`, and the stop. State in the services starts from the release's snapshot.
        `boot_within`: smoke's window for the boot, which smoke.boot_within may raise up to
        `boot_limit`, the platform's own (default: the window is the platform's limit).
        `limits`: the platform's CPU and memory shape; `files`: a tar unpacked at / before
        the start, the code of an image that holds none (docker_client.running); `slow_stop`: a
        known cause, told when the stop after SIGTERM is too slow."""
        target = record.target
        # One deadline per target: once a way of running it failed to boot, the
        # others would only wait out the same hang again.
        if any(r.target == target and r.check == "boot" and r.status == "fail" for r in self.results):
            self.progress(f"  {target} [{variant}]: not started: the target did not boot in another variant")
            return
        boot_within = self.boot_within(boot_within, boot_limit)
        if self._resets:
            self.services.reset(self.service_names(target), to_snapshot=True)
        self.progress(f"  {target} [{variant}]: starting {image[:19]} ...")
        with docker_client.running(image, target, environment={**self.env, **env}, container_port=container_port,
                                   user=user, network=self.network(target), limits=limits,
                                   files=files) as (container, host_port):
            base = f"http://{docker_client.engine_endpoint().reach_host}:{host_port}"
            started = time.monotonic()
            try:
                seconds = wait_http(base + self.suite.health, boot_within, container, target)
            except SmokeFailed as exc:
                self.logs[f"{target} [{variant}]"] = exc.detail
                waited = time.monotonic() - started >= boot_within
                longer = (f"; that is smoke's window, and the platform allows {boot_limit:g} s: set smoke.boot_within "
                          f"(up to {boot_limit:g}) to wait longer" if waited and boot_limit and boot_within < boot_limit
                          else "")
                hint = hints.boot(exc.detail, self.project.manifest.app.release is not None)
                self.record(target, variant, "boot", False, f"{self.suite.health} answers within {boot_within:g} s",
                            exc.message + longer + hint)
                return
            self.record(target, variant, "boot", seconds < boot_within, f"within {boot_within:g} s", f"{seconds:.2f} s")
            try:
                if direct:
                    self.conform(target, variant, base, differences or {})
                gone = self._exited(target, variant, container)
                if extra is not None and not gone:  # not on a container gone already (docker's 409)
                    extra(self, target, variant, container)
                    gone = self._exited(target, variant, container)
                if gone:
                    return  # its stop is not the app's: it is gone already
                if stop_within is not None:
                    took = docker_client.timed_stop(container, stop_grace)
                    self.record(target, variant, "sigterm-stop", took < stop_within,
                                f"exit within {stop_within:g} s of SIGTERM",
                                f"{took:.2f} s" + (f"; note: {slow_stop}" if slow_stop and took >= stop_within else ""))
            except (requests.RequestException, docker_client.DockerException) as exc:
                self.record(target, variant, "still-running", False, "the target keeps running through its checks",
                            vanished(exc))
            if any(r.status == "fail" and r.target == target for r in self.results):
                self.logs[f"{target} [{variant}]"] = docker_client.logs(container)

    def _exited(self, target: str, variant: str, container: Container) -> bool:
        """Recorded as a failure with the app's last error, when the container exited under its
        checks: flaskbb's workers died on a race after the first answer, and each check said
        only ConnectionError, while the stop of a container gone already passed."""
        container.reload()
        if container.status == "running" and any(
                r.target == target and r.variant == variant and r.status == "fail" and "ConnectionError" in r.got
                for r in self.results):
            # Checks that found no server: a master on its way out (gunicorn gives up on workers
            # that fail to boot, and exits) gets a moment to go, so its reason can be told.
            with contextlib.suppress(requests.RequestException, docker_client.DockerException):
                container.wait(timeout=EXITING_WITHIN)
            container.reload()
            if container.status == "running" and BOOT_ERROR in docker_client.logs(container):
                # A worker failed to boot, so the master is halting; a second one failing in the same
                # moment holds it in its stop loop up to graceful_timeout (a CI run: 25 s).
                with contextlib.suppress(requests.RequestException, docker_client.DockerException):
                    container.wait(timeout=HALTING_WITHIN)
                container.reload()
        if container.status == "running":
            return False
        log = docker_client.logs(container)
        self.logs[f"{target} [{variant}]"] = log
        code = container.attrs.get("State", {}).get("ExitCode")
        self.record(target, variant, "still-running", False, "the target keeps running through its checks",
                    f"it exited (status {code}) under its checks" + hints.boot(log, self.project.manifest.app.release
                                                                            is not None))
        return True

    # --- backing services (targets/services): which a target uses, wired how its platform does it ---

    @property
    def _resets(self) -> bool:
        return self.project.manifest.smoke.reset == "target"

    def service_names(self, target: str) -> list[str]:
        return list(self.project.manifest.services_of(target))

    def service_env(self, target: str, heroku: bool = False) -> dict[str, str]:
        """The variables that reach this target's services (heroku: as its add-ons set them)."""
        return self.services.env(self.service_names(target), heroku)

    def network(self, target: str) -> str | None:
        return self.services.network if self.service_names(target) else None

    def begin(self, target: str) -> None:
        """Before a target's checks: its services are up, and empty (smoke.reset: target),
        so its release step makes the database afresh."""
        names = self.service_names(target)
        self.services.check(names)
        if self._resets:
            self.services.reset(names)

    def scrub(self, text: str) -> str:
        """Generated credentials never reach the output or build/smoke.json."""
        for secret in self.services.secrets():
            text = text.replace(secret, "***")
        return text


def vanished(exc: Exception) -> str:
    """What a target that died, or was killed, under its checks left for the report."""
    return f"it stopped answering ({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})"


def wait_http(url: str, within: float, container: Container | None, target: str) -> float:
    """Poll `url` until it answers below 500. Returns seconds taken.

    Fails fast, with the logs, when the container exits, or when the app is up
    but has answered nothing but 500/501 for FAILING_FOR seconds: that is the
    app failing, not a slow boot, and waiting out the window would hide it.
    (502-504 come from a proxy whose upstream is still starting: keep waiting.)
    """
    started = time.monotonic()
    deadline = started + within
    last = "no answer"
    failing_since: float | None = None
    while time.monotonic() < deadline:
        if container is not None and not docker_client.is_running(container):
            raise SmokeFailed(f"{target}: container exited at boot (status {container.attrs['State'].get('ExitCode')})",
                              docker_client.logs(container))
        try:
            response = outbound.get(url, timeout=2, allow_redirects=False)
            if response.status_code < 500:  # up: the app's own answer, whatever it is
                return time.monotonic() - started
            last = f"HTTP {response.status_code}"
            if response.status_code in (500, 501):
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since >= FAILING_FOR:
                    logs = docker_client.logs(container) if container is not None else ""
                    raise SmokeFailed(f"{target}: {url} is up but answers {last} (for {FAILING_FOR:g} s): "
                                      "the app fails at its first requests; its log follows", logs)
            else:
                failing_since = None
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(POLL)
    logs = docker_client.logs(container) if container is not None else ""
    raise SmokeFailed(f"{target}: {url} gave no answer below 500 within {within:.3g} s (last: {last})", logs)
