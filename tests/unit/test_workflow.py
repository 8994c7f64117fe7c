from __future__ import annotations

import json
import subprocess

import yaml

from tests.helpers import REPO, invoke

WORKFLOW = REPO / ".github/workflows/ship.yml"
JOBS = yaml.safe_load(WORKFLOW.read_text())["jobs"]
MAIN_ONLY = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def _runs(job: str) -> list[str]:
    return [step.get("run", "") for step in JOBS[job]["steps"]]


def _index(job: str, start: str) -> int:
    return next(i for i, run in enumerate(_runs(job)) if run.startswith(start))


def test_workflow_matches_the_github_schema() -> None:
    check = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_one_smoke_job_per_target_from_flaskship_matrix() -> None:
    assert any('echo "matrix=$(flaskship matrix)" >> "$GITHUB_OUTPUT"' in run for run in _runs("plan"))
    assert JOBS["plan"]["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}"
    assert JOBS["smoke"]["needs"] == "plan"
    assert JOBS["smoke"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert _index("smoke", 'flaskship build --target "${{ matrix.target }}"') < \
        _index("smoke", 'flaskship smoke --target "${{ matrix.target }}"')
    # The matrix the plan job prints names every target of the manifest.
    printed = invoke("matrix")
    assert printed.code == 0, printed.stderr
    assert [entry["target"] for entry in json.loads(printed.stdout)["include"]] == \
        sorted(yaml.safe_load((REPO / "targets.yaml").read_text())["targets"])


def test_publish_waits_for_every_smoke_loads_what_passed_and_runs_on_main_with_secrets() -> None:
    publish = JOBS["publish"]
    assert "smoke" in publish["needs"] and publish["if"] == MAIN_ONLY
    assert publish["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert _index("publish", "tar -xf") < _index("publish", 'flaskship publish --target "${{ matrix.target }}"')
    assert "docker load" in _runs("publish")[_index("publish", "tar -xf")]
    for job in ("plan", "publish"):
        step = next(s for s in JOBS[job]["steps"] if "flaskship publish" in s.get("run", ""))
        assert all(str(v).startswith("${{ secrets.") for v in step["env"].values())
    handover = next(s for s in JOBS["smoke"]["steps"] if "docker save" in s.get("run", ""))
    assert handover["if"] == MAIN_ONLY and "tar -cf" in handover["run"]  # tar: the records hash file modes


def test_jobs_share_one_wheelhouse_cache_key() -> None:
    cache = next(s for s in JOBS["smoke"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "build/.cache"
    assert "matrix" not in cache["with"]["key"]  # one key for every target's job
