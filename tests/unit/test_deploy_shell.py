"""The printed deploy commands, pasted into a real shell with hostile values:
nothing in a value runs, and each tool receives every value exactly.

gcloud, heroku, docker and firebase are stand-ins on PATH that record the
arguments they were given; gcloud's list syntax (`gcloud topic escaping`:
commas split, unless the flag starts with ^DELIM^) is decoded as gcloud does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from targets import manifest
from targets.kinds import KINDS
from targets.kinds.protocol import behaviour
from targets.publish.steps import Deploy
from tests.helpers import REPO

CANARY = "pwned"
HOSTILE = {
    "QUOTES": """"double" 'single' \\backslash""",
    "COMMANDS": f"$(touch {CANARY}-1) `touch {CANARY}-2`; touch {CANARY}-3 && touch {CANARY}-4 | cat",
    "EXPANSIONS": "$HOME ${HOME} ${HOME:-x} $0 $$ ~ * ?",
    "COMMAS": "a,b,c=d,,e",
    "DELIMITERS": "@#%:;|~^ @@ ## ^@^",
    "SPACES": "  two  spaces  ",
    "UNICODE": "héllo ✓ 中文 \u00a0nbsp",
    "EQUALS": "k=v=w",
}
RELEASE = f"flask db upgrade, then $(touch {CANARY}-5); echo 'x'"
RECORDER = """#!{python}
import json, os, sys, uuid
with open(os.path.join({out!r}, uuid.uuid4().hex + ".json"), "w") as f:
    json.dump({{"tool": os.path.basename(sys.argv[0]), "argv": sys.argv[1:]}}, f)
"""


def gcloud_list(value: str) -> list[str]:
    """A gcloud list/dict flag value as gcloud splits it (gcloud topic escaping)."""
    if value.startswith("^") and value.find("^", 1) > 1:
        end = value.index("^", 1)
        return value[end + 1:].split(value[1:end])
    return value.split(",")


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.fixture
def shell(tmp_path: Path) -> tuple[Path, Path]:
    tools, calls = tmp_path / "bin", tmp_path / "calls"
    tools.mkdir()
    calls.mkdir()
    for tool in ("gcloud", "heroku", "docker", "firebase"):
        path = tools / tool
        path.write_text(RECORDER.format(python=sys.executable, out=str(calls)))
        path.chmod(0o755)
    (tmp_path / "work" / "build").mkdir(parents=True)
    return tools, calls


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pasted_deploy_commands_run_nothing_from_a_value(kind: str, shell: tuple[Path, Path], tmp_path: Path) -> None:
    tools, calls = shell
    project = manifest.load(REPO / "targets.yaml")
    name = next(t for t, s in project.manifest.targets.items() if s.kind == kind)
    (tmp_path / "work" / "build" / name).mkdir()
    entry = {"kind": kind, "image": "r/x@sha256:" + "0" * 64, "image_nginx": "r/x-nginx@sha256:" + "1" * 64,
             "object": "gs://b/x.zip"}
    commands = behaviour(kind).deploy_commands(name, project.target(name), entry, Deploy(HOSTILE, "3.12", RELEASE))
    script = "\n".join(commands) + "\n"
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path / "work", capture_output=True, text=True,
                            env={"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(tmp_path / "home")}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert not list((tmp_path / "work").rglob(f"{CANARY}*")), "a value ran as a command"
    received = [json.loads(p.read_text()) for p in sorted(calls.iterdir())]
    assert received, script
    for call in received:
        argv = call["argv"]
        for flag in ("--set-env-vars",):
            if flag in argv:
                pairs = dict(item.split("=", 1) for item in gcloud_list(_flag(argv, flag)))
                assert pairs == HOSTILE, script
        if "--args" in argv:
            assert gcloud_list(_flag(argv, "--args")) == ["-c", RELEASE]
    if kind in ("cloudrun", "functions"):
        assert any("--set-env-vars" in call["argv"] for call in received), "the env reaches gcloud"
