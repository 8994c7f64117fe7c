"""Every case of the bad-input corpus (corpus.py): the exact one-line error, a
non-zero exit, no traceback, no raw control character in the output, nothing
written outside build/ and nothing half-written inside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, CliResult, copy_demo
from tests.unit.badinput import runner
from tests.unit.badinput.corpus import CASES, Case


def _run(case: Case, root: Path) -> CliResult:
    args = [*case.args]
    if "--manifest" not in args:
        args += ["--manifest", str(root / "targets.yaml")]
    if not case.subprocess:
        return runner.run(*args, cwd=root)
    proc = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(REPO), *args], cwd=root,
                          capture_output=True, text=True, timeout=60)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_its_one_line(case: Case, tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "project")
    if case.manifest is not None:
        data = case.manifest if isinstance(case.manifest, bytes) else case.manifest.encode()
        (root / "targets.yaml").write_bytes(data)
    if case.setup:
        case.setup(root)
    build = root / "build"
    before = runner.snapshot(tmp_path, build)
    build_before = runner.snapshot(build, build / "nothing") if build.is_dir() else None

    result = _run(case, root)

    output = result.stdout + result.stderr
    assert result.code == 1, output
    assert "Traceback" not in output, output
    assert runner.raw_controls(output) == [], output
    expected = "error: " + case.expect.replace("{root_parent}", str(root.parent)).replace("{root}", str(root))
    assert result.last_line == expected
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if case.listed:
        assert lines[-1 - len(case.listed):-1] == list(case.listed)
    assert runner.snapshot(tmp_path, build) == before, "something was written outside build/"
    if build.is_dir():
        assert runner.half_written(build) == []
        if build_before is not None:
            written = set(runner.snapshot(build, build / "nothing")) - set(build_before)
            assert written <= {".smoke.json.lock"}, written
    else:
        assert build_before is None and not build.exists() or build.is_file()


def test_the_corpus_covers_every_class_the_issue_lists() -> None:
    prefixes = {case.id.split("-")[0] for case in CASES}
    assert {"file", "yaml", "type", "key", "dup", "name", "ctl", "path", "ref", "build", "record", "smoke",
            "publish", "several"} <= prefixes
    assert len(CASES) >= 100
    assert len({case.id for case in CASES}) == len(CASES)
