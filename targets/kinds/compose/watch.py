"""What a compose stack's containers say while `compose up` waits for web's health.

`up` starts nginx only once web is healthy, and waits for that. An app that is
up but answers its health path with a 500 (anitya without its database's
tables) stays "starting" for the healthcheck's whole start_period (60 s), then
its retries: compose smoke reported it after 64.8 s, where the other kinds,
which ask the app themselves, fail after FAILING_FOR seconds of 500s. The
healthcheck prints the status it got, Docker keeps its last probes in the
container's state, and fail_fast() reads them while `up` waits.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime

from ...engine import docker_client
from ...errors import SmokeFailed
from ...smoke.session import FAILING_FOR

POLL = 0.5


def containers(project: str, service: str) -> list[docker_client.Container]:
    return docker_client.client().containers.list(all=True, filters={
        "label": [f"com.docker.compose.project={project}", f"com.docker.compose.service={service}"]})


def seconds(started: str, finished: str) -> float | None:
    """Seconds between two of the engine's RFC 3339 times (nanoseconds cut to microseconds)."""
    try:
        first, last = (datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", t).replace("Z", "+00:00"))
                       for t in (started, finished))
    except ValueError:
        return None
    return (last - first).total_seconds()


def failing(probes: list[dict[str, object]], health: str, target: str) -> SmokeFailed | None:
    """The failure, when web's latest health probes (Docker's State.Health.Log, oldest first)
    all got a 500 or 501 for FAILING_FOR seconds or more: the app is up and failing, as
    smoke's wait_http judges it (a 502-504 would be a proxy whose upstream is starting)."""
    streak: list[dict[str, object]] = []
    for probe in reversed(probes):
        if str(probe.get("Output", "")).strip()[:3] not in ("500", "501"):
            break
        streak.append(probe)
    if len(streak) < 2:
        return None
    lasted = seconds(str(streak[-1].get("Start", "")), str(streak[0].get("End", "")))
    if lasted is None or lasted < FAILING_FOR:
        return None
    status = str(streak[0].get("Output", "")).strip()[:3]
    return SmokeFailed(f"{target}: web is up but answers {health} with HTTP {status} (its healthcheck, for "
                       f"{lasted:.1f} s): the app fails at its first requests; its log follows")


def fail_fast(project: str, health: str, target: str, stop: threading.Event, done: threading.Event,
              found: list[SmokeFailed]) -> None:
    """Until `done`: when web's healthcheck shows the app failing, put why in `found` and set
    `stop` (compose's `up` is then stopped). The engine's errors end the watch, never the smoke."""
    while not done.wait(POLL):
        try:
            for web in containers(project, "web"):
                reason = failing(list((web.attrs.get("State", {}).get("Health") or {}).get("Log") or []),
                                 health, target)
                if reason is not None:
                    found.append(reason)
                    stop.set()
                    return
        except docker_client.DockerException:
            return
