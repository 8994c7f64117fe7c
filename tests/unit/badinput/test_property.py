"""Random manifests, random values in every field: each one validates, or fails
with the one-line form. Nothing crashes, hangs or writes outside build/.

A valid one goes on as `invoke build` would, up to the Docker step: the
source checks, then rendering one target into build/. Bounded: a fixed number
of examples, no deadline per example, no example database in the repo.
"""

from __future__ import annotations

import copy
import shutil
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from pydantic import BaseModel

from targets import manifest
from targets.build import source
from targets.commands.build import render_only
from targets.errors import FlaskshipError
from targets.kinds import KINDS
from targets.manifest.keys import _unwrap
from targets.manifest.model import Check, Manifest
from tests.helpers import copy_demo
from tests.unit.badinput import runner
from tests.unit.badinput.corpus import BASE

EXAMPLES = 600
KIND_OF = {"run": "cloudrun", "dyno": "heroku", "fn": "functions", "web": "compose"}


def _fields(model: type[BaseModel], prefix: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every key path a model declares, nested models included."""
    found = []
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        found.append(path)
        inner = _unwrap(field.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found += _fields(inner, path)
    return found


PATHS = sorted({
    *(p for p in _fields(Manifest, ()) if p[0] != "targets"),
    *_fields(Check, ("smoke", "checks", 0)),
    *(p for target, kind in KIND_OF.items() for p in _fields(KINDS[kind].settings, ("targets", target))),
    ("environments", "development", "env", "APP_ENV"), ("environments", "development", "env", "EXTRA"),
    ("environments", "development", "secrets"), ("environments", "qa"), ("targets", "new"),
}, key=repr)

# Text that reaches the edges: control characters, separators, bidi, quotes, shell and YAML syntax.
EDGES = st.sampled_from(["\n", "\r", "\x00", "\x1b[31m", "\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\u2066",
                         "\ufeff", "..", "../", "/", "//", "$", "${HOME}", "`id`", "$(id)", "'", '"', "#", ",",
                         ";", "&&", "\\", "{{ x }}", "{% x %}", "*", "&a", "!!python/name:os.system", " ", ""])
TEXT = st.one_of(st.text(max_size=40), st.lists(st.one_of(EDGES, st.text(max_size=6)), max_size=6).map("".join),
                 st.sampled_from(["app", "wsgi:app", "/static", "3.12", "cloudrun", "heroku", "x" * 70, "all",
                                  "class", "a-", "development", "8080", "us-central1", "demo/static"]))
SCALARS = st.one_of(TEXT, st.integers(-2**70, 2**70), st.floats(allow_nan=True), st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return
    if isinstance(node, dict):
        node[path[-1]] = value
    elif isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node):
        node[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    node = data
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


EDIT = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(PATHS), VALUES),
    st.tuples(st.just("set"), st.sampled_from(PATHS).flatmap(lambda p: st.tuples(st.just(p), TEXT)).map(
        lambda pt: (*pt[0][:-1], pt[1])), VALUES),  # an unknown key beside a known one
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none()),
    # free text where the manifest takes it: most of these validate and go on to render
    st.tuples(st.just("set"), st.sampled_from([("environments", "development", "env", "APP_ENV"),
                                                ("environments", "development", "env", "EXTRA"),
                                                ("smoke", "checks", 0, "contains"), ("app", "prestart"),
                                                ("app", "release")]), TEXT),
)
MANIFESTS = st.one_of(
    st.lists(EDIT, min_size=1, max_size=5).map(lambda edits: ("edits", edits)),
    st.text(max_size=200).map(lambda text: ("text", text)),  # anything at all as the file
)


def _assert_one_line(exc: FlaskshipError) -> None:
    """Clean before the CLI's own escaping: one line, nothing a terminal would act on."""
    assert exc.message and runner.raw_controls(exc.message + "\n") == [] and "\n" not in exc.message, exc.message
    assert runner.raw_controls(exc.detail) == [], exc.detail


def test_random_manifests_validate_or_fail_in_one_line(tmp_path: Path) -> None:
    set_hypothesis_home_dir(str(tmp_path.parent / f"{tmp_path.name}-hypothesis"))  # out of the repo and of tmp_path
    root = copy_demo(tmp_path / "project")
    base = yaml.safe_load(BASE)
    outside = runner.snapshot(tmp_path, root / "build")
    seen = {"valid": 0, "invalid": 0, "rendered": 0, "examples": 0}
    started = time.monotonic()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(MANIFESTS, st.sampled_from(sorted(KIND_OF)))
    def check(generated: tuple[str, Any], target: str) -> None:
        seen["examples"] += 1
        how, payload = generated
        if how == "text":
            text = payload
        else:
            data = copy.deepcopy(base)
            for action, path, value in payload:
                (_set if action == "set" else lambda d, p, v: _delete(d, p))(data, path, value)
            try:
                text = yaml.safe_dump(data, allow_unicode=True)
            except yaml.YAMLError:
                return  # PyYAML cannot write it: no file to read
        (root / "targets.yaml").write_text(text, encoding="utf-8")
        try:
            project = manifest.load(root / "targets.yaml")
        except FlaskshipError as exc:
            seen["invalid"] += 1
            _assert_one_line(exc)
            return
        seen["valid"] += 1
        names = sorted(project.manifest.targets)
        name = target if target in names else names[0]
        try:
            source.check(project)
            (project.build_dir).mkdir(exist_ok=True)
            render_only(project, name, project.build_dir / ".staging-property")
            seen["rendered"] += 1
        except FlaskshipError as exc:
            _assert_one_line(exc)
        finally:
            shutil.rmtree(project.build_dir / ".staging-property", ignore_errors=True)

    check()
    took = time.monotonic() - started
    print(f"\nhypothesis: {seen['examples']} examples in {took:.1f} s: {seen['valid']} valid "
          f"({seen['rendered']} rendered), {seen['invalid']} refused in one line")
    (root / "targets.yaml").write_text(BASE)
    assert runner.snapshot(tmp_path, root / "build") == {**outside, **{
        k: v for k, v in runner.snapshot(tmp_path, root / "build").items() if k.endswith("targets.yaml")}}
    assert seen["valid"] > 0 and seen["invalid"] > 0
