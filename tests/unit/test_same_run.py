"""Which images one smoke run can stand for: everything a container run from them sees.

The attrs and history are shaped as the engine gives them for a cloudrun image (docker
inspect, docker history --no-trunc), cut to what matters here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from targets.smoke.same_run import run_identity

BUILT: dict[str, Any] = {
    "Os": "linux", "Architecture": "amd64",
    "RootFS": {"Type": "layers", "Layers": ["sha256:base", "sha256:venv", "sha256:app-of-heroku-a"]},
    "Config": {"Cmd": ["gunicorn", "--config", "/srv/app/.flaskship/gunicorn.conf.py", "wsgi:app"],
               "Env": ["PATH=/opt/venv/bin:/usr/bin", "PORT=8080"], "User": "10001:10001", "WorkingDir": "/srv/app",
               "Image": "sha256:label-step-of-heroku-a", "Hostname": "",
               "Labels": {"io.flaskship.project": "p1", "io.flaskship.role": "app", "io.flaskship.target": "heroku-a"}},
}
HISTORY: list[dict[str, Any]] = [
    {"Id": "sha256:final-of-heroku-a", "CreatedBy": "/bin/sh -c #(nop) COPY dir:4327651 in /srv/app/ "},
    {"Id": "sha256:label-step-of-heroku-a", "CreatedBy": "/bin/sh -c #(nop)  LABEL io.flaskship.project=p1 "
                                                         "io.flaskship.role=app io.flaskship.target=heroku-a"},
    {"Id": "sha256:shared-venv-stage", "CreatedBy": "/bin/sh -c #(nop)  LABEL io.flaskship.project=p1 "
                                                    "io.flaskship.role=deps"},
    {"Id": "<missing>", "CreatedBy": "/bin/sh -c #(nop) ADD file:abc in / "},
]


def _copy_named(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The same target built again under another name: other ids and layer bytes of its own steps."""
    attrs, history = copy.deepcopy(BUILT), copy.deepcopy(HISTORY)
    attrs["Config"]["Labels"]["io.flaskship.target"] = name
    attrs["Config"]["Image"] = f"sha256:label-step-of-{name}"
    attrs["RootFS"]["Layers"][-1] = f"sha256:app-of-{name}"  # its files' times differ
    history[0]["Id"], history[1]["Id"] = f"sha256:final-of-{name}", f"sha256:label-step-of-{name}"
    history[1]["CreatedBy"] = history[1]["CreatedBy"].replace("heroku-a", name)
    return attrs, history


def test_a_copy_that_differs_only_in_its_name_is_the_same_run() -> None:
    assert run_identity(*_copy_named("heroku-b")) == run_identity(BUILT, HISTORY)


@pytest.mark.parametrize("path, value", [
    (("Config", "Env"), ["PATH=/opt/venv/bin:/usr/bin", "PORT=8081"]),
    (("Config", "Cmd"), ["gunicorn", "wsgi:app"]),
    (("Config", "User"), "0"),
    (("Config", "Healthcheck"), {"Test": ["CMD", "true"]}),
    (("Config", "Labels", "io.flaskship.role"), "runner"),
    (("Architecture",), "arm64"),
])
def test_anything_a_run_sees_makes_another_run(path: tuple[str, ...], value: Any) -> None:
    attrs, history = _copy_named("heroku-b")
    here = attrs
    for key in path[:-1]:
        here = here[key]
    here[path[-1]] = value
    assert run_identity(attrs, history) != run_identity(BUILT, HISTORY)


def test_other_files_or_another_image_below_its_own_steps_make_another_run() -> None:
    attrs, history = _copy_named("heroku-b")
    history[0]["CreatedBy"] = "/bin/sh -c #(nop) COPY dir:edited in /srv/app/ "
    assert run_identity(attrs, history) != run_identity(BUILT, HISTORY)
    attrs, history = _copy_named("heroku-b")
    history[2]["Id"] = "sha256:the-venv-stage-built-again"
    assert run_identity(attrs, history) != run_identity(BUILT, HISTORY)


def test_a_run_step_of_its_own_compares_the_layers_bytes() -> None:
    """The same command can write other bytes (a random key, a download): so copies with a RUN
    step after their LABEL are alike only with the very same layers, which builds never give."""
    def with_run(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        attrs, history = _copy_named(name) if name != "heroku-a" else (copy.deepcopy(BUILT), copy.deepcopy(HISTORY))
        history[0]["CreatedBy"] = "/bin/sh -c python -c 'import secrets; print(secrets.token_hex())' > /key"
        return attrs, history
    assert run_identity(*with_run("heroku-b")) != run_identity(*with_run("heroku-a"))
    assert "layers" in run_identity(*with_run("heroku-a"))


def test_an_image_with_no_history_of_its_own_steps_compares_its_layers() -> None:
    """Loaded or pulled: the steps below carry no ids, so nothing says what its own steps stood on."""
    attrs, history = _copy_named("heroku-b")
    history[2]["Id"] = "<missing>"
    assert run_identity(attrs, history) != run_identity(BUILT, HISTORY)
