"""The engine publishes `-p 127.0.0.1::port` from the kernel's ephemeral range: the range
the compose stack's own port is kept out of (tests/unit/test_compose_port.py)."""

from __future__ import annotations

import docker

from tests.helpers import ephemeral_range


def test_the_engine_publishes_from_that_range_too(engine: docker.DockerClient) -> None:
    low, high = ephemeral_range()
    container = engine.containers.run("flaskship-standin/python:3.12-slim", ["sleep", "30"], detach=True,
                                      ports={"8080/tcp": ("127.0.0.1", None)}, labels={"io.flaskship.test": "port"})
    try:
        container.reload()
        published = int(container.ports["8080/tcp"][0]["HostPort"])
        assert low <= published <= high
    finally:
        container.remove(force=True)
