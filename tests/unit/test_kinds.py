"""Every registered kind is complete and owns all of itself.

Adding a kind means: targets/kinds/<kind>/ (settings.py, kind.py, templates),
one entry in targets/kinds/__init__.py, tests/integration/test_<kind>.py and a
README row. This test names whatever is missing.
"""

from __future__ import annotations

import inspect
from typing import get_args

import pytest

from targets import templates
from targets.kinds import KINDS, KINDS_DIR
from targets.kinds.protocol import Kind, behaviour
from targets.publish.steps import Deploy
from tests.helpers import REPO

METHODS = [name for name, _ in inspect.getmembers(Kind, inspect.isfunction)]


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_is_complete(name: str) -> None:
    folder = KINDS_DIR / name
    for part in ("__init__.py", "settings.py", "kind.py"):
        assert (folder / part).is_file(), f"targets/kinds/{name}/{part}"
    assert (folder / "__init__.py").read_text().startswith('"""kind: '), "its contract, in the package docstring"
    kind = behaviour(name)
    assert kind.name == name
    for method in METHODS:
        assert callable(getattr(kind, method, None)), f"{name} lacks {method}()"
    assert kind.templates, "declares its templates"
    for template in kind.templates:
        templates.load(template)  # one clear error if missing
    assert get_args(KINDS[name].settings.model_fields["kind"].annotation) == (name,)
    assert (REPO / "tests" / "integration" / f"test_{name}.py").is_file(), "integration tests"
    assert f"| `{name}` |" in (REPO / "README.md").read_text(), "README kinds table"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_prints_its_own_deploy_commands(name: str) -> None:
    from targets import manifest

    project = manifest.load(REPO / "targets.yaml")
    target = next(t for t, s in project.manifest.targets.items() if s.kind == name)
    entry = {"kind": name, "image": "r/x@sha256:" + "0" * 64, "image_nginx": "r/x-nginx@sha256:" + "1" * 64,
             "object": "gs://b/x.zip"}
    commands = behaviour(name).deploy_commands(target, project.target(target), entry,
                                               Deploy({"A": "1, two; $(id)"}, "3.11"))
    assert commands and all(isinstance(c, str) for c in commands)
    joined = "\n".join(commands)
    assert "$(id)" not in joined or "'" in joined, "values are shell-quoted"
    if name == "functions":
        assert "--runtime python311" in joined  # from defaults.python, not hard-coded


def test_cloudrun_runs_the_release_as_a_job_before_the_service() -> None:
    import shlex

    from targets import manifest

    project = manifest.load(REPO / "targets.yaml")
    entry = {"image": "r/x@sha256:" + "0" * 64}
    commands = behaviour("cloudrun").deploy_commands("cloudrun", project.target("cloudrun"), entry,
                                                     Deploy({}, "3.12", "flask db upgrade, then more"))
    assert [shlex.split(c)[:4] for c in commands[:3]] == [["gcloud", "run", "jobs", "deploy"],
                                                          ["gcloud", "run", "jobs", "execute"],
                                                          ["gcloud", "run", "deploy", "flask-demo"]]
    args = shlex.split(commands[0])
    # A comma in the command must not split gcloud's list: ^DELIM^ syntax.
    assert args[args.index("--args") + 1] == "^@^-c@flask db upgrade, then more"


def test_cloudrun_tells_the_service_a_port_other_than_8080() -> None:
    """Cloud Run injects PORT=8080 unless told the container's port: the image's own default
    (targets.X.port), which smoke's "PORT unset" run polls, must be the one it serves on there."""
    import shlex

    from targets import manifest

    project = manifest.load(REPO / "targets.yaml")
    entry = {"image": "r/x@sha256:" + "0" * 64}
    settings = project.target("cloudrun")
    for port, flag in ((8080, []), (5000, ["--port", "5000"])):
        commands = behaviour("cloudrun").deploy_commands("cloudrun", settings.model_copy(update={"port": port}),
                                                         entry, Deploy({}, "3.12"))
        deploy = shlex.split(commands[0])
        assert deploy[:4] == ["gcloud", "run", "deploy", "flask-demo"]
        assert [deploy[i:i + 2] for i, word in enumerate(deploy) if word == "--port"] == ([flag] if flag else [])
