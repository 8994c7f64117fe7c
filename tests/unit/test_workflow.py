from __future__ import annotations

import subprocess

import yaml

from tests.helpers import REPO

WORKFLOW = REPO / ".github/workflows/ship.yml"


def test_workflow_matches_the_github_schema() -> None:
    check = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_workflow_builds_then_smokes_then_publishes_on_main_with_secrets() -> None:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["ship"]["steps"]
    runs = [s.get("run", "") for s in steps]
    order = [next(i for i, r in enumerate(runs) if r.startswith(f"invoke {t}")) for t in ("build", "smoke", "publish")]
    assert order == sorted(order)
    publish = steps[order[2]]
    assert "refs/heads/main" in publish["if"]
    assert all(str(v).startswith("${{ secrets.") for v in publish["env"].values())
