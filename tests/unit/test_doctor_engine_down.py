"""invoke doctor with the engine down: one FAIL line with the fix, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_one_clear_line, invoke


def test_doctor_names_the_dead_engine_and_how_to_fix_it(project: Path, tmp_path: Path) -> None:
    dead = f"unix://{tmp_path}/no-engine.sock"
    result = invoke("doctor", "--manifest", str(project / "targets.yaml"),
                    env={"DOCKER_HOST": dead, "GCP_ACCESS_TOKEN": "s3cret-value"})
    assert_one_clear_line(result, "doctor: 1 problem(s), first: engine: Docker daemon not reachable at", dead)
    lines = result.stdout.splitlines()
    engine = next(i for i, line in enumerate(lines) if line.startswith("FAIL  engine"))
    assert "fix: start it" in lines[engine + 1] and "DOCKER_HOST" in lines[engine + 1]
    assert any(line.startswith("warn  base images  not checked") for line in lines)
    assert any(line.startswith("ok    compose") for line in lines)
    # Credentials by name only.
    assert "$GCP_ACCESS_TOKEN (cloudrun)" in result.stdout and "s3cret-value" not in result.stdout + result.stderr
    assert "$HEROKU_API_KEY (heroku)" in result.stdout
