from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_one_clear_line, invoke


def test_daemon_down_says_how_to_start_it(project: Path, tmp_path: Path) -> None:
    result = invoke("build", "--manifest", str(project / "targets.yaml"),
                    env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    assert_one_clear_line(result, "Docker daemon not reachable", "no-docker.sock", "bin/setup")
    assert not (project / "build" / "cloudrun").exists()
