from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pydantic
import pytest
import yaml

from targets import manifest
from targets.manifest import document
from targets.errors import ManifestError
from tests.helpers import REPO


def test_repo_manifest_loads_into_frozen_objects() -> None:
    project = manifest.load(REPO / "targets.yaml")
    target = project.target("cloudrun")
    assert target.kind == "cloudrun" and target.port == 8080
    assert project.manifest.defaults.python == "3.12"
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        target.port = 1  # type: ignore[misc]


def test_environment_secrets_are_names_only() -> None:
    project = manifest.load(REPO / "targets.yaml")
    _, production = project.environment("production")
    assert production.secrets == ("SECRET_KEY",)
    assert "SECRET_KEY" not in production.env


def test_loader_is_safe_load_only(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("targets: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ManifestError, match="invalid YAML"):
        manifest.load(path)


def test_empty_targets_is_an_error() -> None:
    with pytest.raises(ManifestError, match="declare at least one target"):
        manifest.parse({"targets": {}})


def test_missing_kind_lists_choices() -> None:
    with pytest.raises(ManifestError, match=r"targets.x.kind: missing \(choose from"):
        manifest.parse({"targets": {"x": {"service_id": "s"}}})


def test_schema_is_generated_from_the_model_and_checks_the_manifest() -> None:
    schema = json.loads(manifest.json_schema())
    good = yaml.safe_load((REPO / "targets.yaml").read_text())
    jsonschema.validate(good, schema)
    bad = {**good, "targets": {"x": {"kind": "cloudrun", "service_id": "s", "region": "us-central1", "typo": 1}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_committed_schema_is_current() -> None:
    assert (REPO / "targets.schema.json").read_text() == manifest.json_schema(), "run `invoke schema`"


def test_duplicate_keys_are_found_at_any_depth_and_aliases_are_safe() -> None:
    assert document.parse("a:\n  - {k: 1, k: 2}\n").duplicates == [(("a", 0, "k"), 2)]
    assert document.parse("a: 1\nb: {a: 1}\n").duplicates == []  # same name, different mappings
    assert document.parse("a: &x {k: 1}\nb: *x\n").duplicates == []  # an alias is not a second key
    with pytest.raises(document.DocumentError, match="line 1: an alias refers to a value that contains it"):
        document.parse("a: &x [*x]\nb: *x\n")


@pytest.mark.parametrize("entry", ["wsgi:app", "flaskr:create_app()", "pkg.sub:make_app('prod', debug=False)",
                                   'a:b("x", 2, None)'])
def test_entry_takes_what_gunicorn_takes(entry: str) -> None:
    app = manifest.parse({"app": {"entry": entry}, "targets": {"x": {"kind": "heroku", "app": "a"}}}).app
    assert app.entry == entry
    assert app.is_factory == ("(" in entry)
    assert app.attribute in ("app", "create_app", "make_app", "b")


@pytest.mark.parametrize(("entry", "why"), [
    ("wsgi:os.system('x')", "module:factory"),  # only a plain name may be called
    ("a:b(c)", "must be literals"),  # a name is not a literal: nothing is evaluated
    ("a:b(__import__('os'))", "module:factory"),
    ("class:app", "keyword"),
    ("a:b('x\nRUN rm')", "module:factory"),  # one line only
    ("wsgi", "module:factory"),
])
def test_entry_rejects_anything_gunicorn_would_not_import_safely(entry: str, why: str) -> None:
    with pytest.raises(ManifestError, match=rf"app\.entry: .*{why}"):
        manifest.parse({"app": {"entry": entry}, "targets": {"x": {"kind": "heroku", "app": "a"}}})


def test_targets_are_selected_by_several_names_commas_or_all() -> None:
    project = manifest.load(REPO / "targets.yaml")
    names = lambda sel: [name for name, _ in project.select(sel)]  # noqa: E731
    assert names("heroku") == ["heroku"]
    assert names("heroku,cloudrun") == ["heroku", "cloudrun"]
    assert names(["heroku", "cloudrun,heroku"]) == ["heroku", "cloudrun"]  # repeated flags, no duplicates
    assert names(["all"]) == names([]) == ["cloudrun", "compose", "functions", "heroku"]
    with pytest.raises(ManifestError, match=r"no target named 'clodrun' \(did you mean 'cloudrun'\? choose from"):
        project.select("heroku,clodrun")
