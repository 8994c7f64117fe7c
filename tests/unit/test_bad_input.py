"""Every bad input gets one clear line, a non-zero exit, and no traceback.

These run the real `invoke` CLI. Failures here happen before any Docker call,
so they need no engine; the Docker-dependent cases live in integration/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import CliResult, assert_one_clear_line, invoke


def _manifest(project: Path, mutate) -> Path:
    data = yaml.safe_load((project / "targets.yaml").read_text())
    mutate(data)
    (project / "targets.yaml").write_text(yaml.safe_dump(data))
    return project / "targets.yaml"


def _build(manifest: Path, target: str = "all") -> CliResult:
    return invoke("build", "--manifest", str(manifest), "--target", target)


def test_missing_manifest(tmp_path: Path) -> None:
    result = _build(tmp_path / "targets.yaml")
    assert_one_clear_line(result, "targets.yaml", "not found")


def test_no_manifest_here_or_above(tmp_path: Path) -> None:
    # Without --manifest, the folder and each one above it are searched (as invoke
    # finds tasks.py); the line says where the search began.
    result = invoke("names", "targets", cwd=tmp_path)
    assert_one_clear_line(result, f"targets.yaml: not found in {tmp_path} or any folder above it", "--manifest")


def test_the_manifest_above_is_found_from_a_subfolder(project: Path) -> None:
    # `invoke build` from inside the app works on the project around it, as invoke
    # itself finds tasks.py there.
    result = invoke("names", "targets", cwd=project / "app" / "demo")
    assert result.code == 0, result.stderr
    assert result.stdout.split() == ["cloudrun", "compose", "functions", "heroku", "all"]


def test_unreadable_manifest(project: Path) -> None:
    (project / "targets.yaml").write_bytes(b"\xff\xfe\x00bad")
    assert_one_clear_line(_build(project / "targets.yaml"), "targets.yaml", "is not UTF-8 text (byte 0xff at offset 0)")


def test_invalid_yaml_names_its_line(project: Path) -> None:
    (project / "targets.yaml").write_text("targets:\n  api:\n    kind: [cloudrun\n")
    assert_one_clear_line(_build(project / "targets.yaml"), "targets.yaml", "invalid YAML", "line ")


def test_unknown_kind_lists_choices(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["targets"]["cloudrun"].update(kind="lambda"))
    assert_one_clear_line(_build(manifest), "targets.cloudrun.kind", "unknown kind 'lambda'", "choose from: cloudrun")


def test_unknown_key_is_rejected(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["targets"]["cloudrun"].update(regoin="x"))
    assert_one_clear_line(_build(manifest), "targets.cloudrun.regoin", "unknown key")


def test_wrong_type_names_path_and_value(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["targets"]["cloudrun"].update(port="80a"))
    line = manifest.read_text().splitlines().index("    port: 80a") + 1
    assert_one_clear_line(_build(manifest), f"targets.yaml: line {line}: targets.cloudrun.port: expected an integer, got '80a'")


def test_unquoted_python_version_is_rejected(project: Path) -> None:
    (project / "targets.yaml").write_text(
        (project / "targets.yaml").read_text().replace('python: "3.12"', "python: 3.10")
    )
    assert_one_clear_line(_build(project / "targets.yaml"), "defaults.python", "got 3.1", "quote it")


@pytest.mark.parametrize("name", ["../x", "A", "", "x/y", "-x"])
def test_bad_target_names(project: Path, name: str) -> None:
    manifest = _manifest(project, lambda d: d["targets"].update({name: {"kind": "cloudrun", "service_id": "s", "region": "us-central1"}}))
    assert_one_clear_line(_build(manifest), "targets", "invalid name")


@pytest.mark.parametrize("value", ["dev\nRUN rm -rf /", "a\x00b", "x\rdirective;"])
def test_control_characters_cannot_reach_generated_files(project: Path, value: str) -> None:
    manifest = _manifest(project, lambda d: d["environments"]["development"]["env"].update(APP_ENV=value))
    assert_one_clear_line(_build(manifest), "environments.development.env.APP_ENV", "control characters")
    assert not (project / "build").exists()


def test_image_ref_with_injection_is_rejected(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["defaults"].update(base_image="python:3.12 AS x\nUSER root"))
    assert_one_clear_line(_build(manifest), "defaults.base_image", "invalid value")


def test_target_naming_no_target_lists_valid_names(project: Path) -> None:
    assert_one_clear_line(_build(project / "targets.yaml", "nope"), "no target named 'nope'", "choose from: cloudrun")


def test_a_mistyped_target_gets_a_suggestion_even_among_several(project: Path) -> None:
    result = invoke("build", "--manifest", str(project / "targets.yaml"), "--target", "heroku", "--target", "clodrun")
    assert_one_clear_line(result, "no target named 'clodrun'", "did you mean 'cloudrun'?")
    assert not (project / "build").exists()  # refused before anything was built


def test_unknown_environment_lists_valid_names(project: Path) -> None:
    result = invoke("smoke", "--manifest", str(project / "targets.yaml"), "--env", "qa")
    assert_one_clear_line(result, "no environment named 'qa'", "development", "production")


def test_entry_module_that_cannot_be_imported(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["app"].update(entry="server:app"))
    assert_one_clear_line(_build(manifest), "app.entry", "cannot import module 'server'", "app/server.py")


def test_entry_attribute_that_does_not_exist(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["app"].update(entry="wsgi:application"))
    assert_one_clear_line(_build(manifest), "app.entry", "defines no top-level 'application'")


def test_missing_static_folder(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["app"].update(static="assets"))
    assert_one_clear_line(_build(manifest), "app.static", "app/assets does not exist")


def test_missing_app_folder(project: Path) -> None:
    manifest = _manifest(project, lambda d: d["app"].update(source="webapp"))
    assert_one_clear_line(_build(manifest), "app.source", "webapp/ does not exist")


def test_smoke_of_a_target_never_built(project: Path) -> None:
    result = invoke("smoke", "--manifest", str(project / "targets.yaml"), "--target", "cloudrun")
    assert_one_clear_line(result, "cloudrun: not built yet", "invoke build --target cloudrun")


def test_publish_of_a_target_never_built(project: Path) -> None:
    result = invoke("publish", "--manifest", str(project / "targets.yaml"), "--target", "compose")
    assert_one_clear_line(result, "compose: not built yet", "invoke build --target compose")


def test_a_key_given_twice_is_rejected(project: Path) -> None:
    # safe_load alone would keep the second port and say nothing.
    path = project / "targets.yaml"
    text = path.read_text().replace("    kind: cloudrun\n", "    kind: cloudrun\n    port: 8081\n    port: 8082\n", 1)
    path.write_text(text)
    line = text.splitlines().index("    port: 8082") + 1
    result = _build(path, "cloudrun")
    assert_one_clear_line(result, f"targets.yaml: line {line}: targets.cloudrun.port is given twice")



def test_a_multi_line_build_step_is_refused_by_name(project: Path) -> None:
    # app.build goes to `/bin/sh -c` in a container: one printable line, like prestart.
    manifest = _manifest(project, lambda d: d.setdefault("app", {}).update(build="flask one\nflask two"))
    assert_one_clear_line(_build(manifest), "app.build")
