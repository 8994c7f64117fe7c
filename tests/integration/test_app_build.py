"""app.build end to end: a build step that makes files the app's .gitignore leaves out
(the shape of microblog's `flask translate compile`) runs once per change, offline, as
the app's uid, and what it made ships in every artifact of all four kinds: each image,
the functions zip, nginx's static folder and Hosting's public/."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, CliResult, assert_one_clear_line, invoke, managed_containers

pytestmark = pytest.mark.docker
STEP = "flask compile-assets"
SAID = f"app.build (once, for every target of this base): {STEP}"
MANIFEST = f"""\
app:
  source: web
  entry: "app:app"
  build: {STEP}
smoke:
  health: /healthz
  static_file: site.css
  checks:
    - {{path: /, content_type: text/html, contains: "HELLO FROM THE CATALOGUE (uid 10001)"}}
targets:
  run: {{kind: cloudrun, service_id: steps, region: us-central1}}
  dyno: {{kind: heroku, app: steps}}
  stack: {{kind: compose, publish: 8041}}
  fn: {{kind: functions}}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CliResult]:
    root = tmp_path_factory.mktemp("appbuild") / "steps"
    shutil.copytree(REPO / "tests/fixtures/apps/build_step", root, symlinks=True)
    (root / "targets.yaml").write_text(MANIFEST)
    assert not (root / "web/static/site.css").exists()  # made by the step, never in the source
    build = invoke("build", "--manifest", str(root / "targets.yaml"))
    assert build.code == 0, build.stdout + build.stderr
    return root, build


def test_the_step_runs_once_and_every_kind_ships_what_it_made(built: tuple[Path, CliResult],
                                                              engine: docker.DockerClient) -> None:
    root, build = built
    output = build.stdout + build.stderr
    assert output.count(SAID) == 1, output  # four targets, one run of the step
    assert not (root / "web/messages/hello.compiled").exists()  # the app folder is left as it was
    assert (root / "build/dyno/image/src/messages/hello.txt").is_symlink()  # a link in the code stays one
    with zipfile.ZipFile(root / "build/fn.zip") as zf:
        # Run by the app's uid, not root; the platform's runtime gets the made files in the zip.
        assert zf.read("messages/hello.compiled") == b"HELLO FROM THE CATALOGUE (uid 10001)\n"
        assert zf.read("static/site.css") == b"body { color: #123; }\n"
    for served in ("build/run/public/static/site.css", "build/stack/nginx/static/site.css"):
        assert (root / served).read_bytes() == b"body { color: #123; }\n", served
    record = json.loads((root / "build/dyno/build.json").read_text())
    image = engine.images.get(record["images"]["app"]["id"])
    listing = engine.containers.run(image, ["cat", "/srv/app/messages/hello.compiled"], remove=True,
                                    network_disabled=True)
    assert listing == b"HELLO FROM THE CATALOGUE (uid 10001)\n"
    # The same checks put to every target find the made page and the made static file.
    smoke = invoke("smoke", "--manifest", str(root / "targets.yaml"))
    assert smoke.code == 0, smoke.stdout + smoke.stderr
    report = json.loads((root / "build/smoke.json").read_text())["targets"]
    assert sorted(report) == ["dyno", "fn", "run", "stack"] and all(t["passed"] for t in report.values())
    assert managed_containers(engine) == []


def test_nothing_changed_runs_no_step_and_an_edit_runs_it_again(built: tuple[Path, CliResult]) -> None:
    root, _ = built
    manifest = str(root / "targets.yaml")
    again = invoke("build", "--manifest", manifest)
    assert again.code == 0 and "app.build" not in again.stdout + again.stderr
    assert (root / "build/run/build.json").is_file()
    (root / "web/messages/hello.src").write_text("hola from the catalogue\n")
    edited = invoke("build", "--manifest", manifest, "--target", "fn")
    assert edited.code == 0 and (edited.stdout + edited.stderr).count(SAID) == 1
    with zipfile.ZipFile(root / "build/fn.zip") as zf:
        assert zf.read("messages/hello.compiled") == b"HOLA FROM THE CATALOGUE (uid 10001)\n"


def test_a_failing_step_is_one_line_and_leaves_the_last_build(built: tuple[Path, CliResult],
                                                              engine: docker.DockerClient) -> None:
    root, _ = built
    manifest = root / "targets.yaml"
    before = (root / "build/dyno/build.json").read_bytes()
    manifest.write_text(MANIFEST.replace(STEP, "flask compile-asets"))
    try:
        failed = invoke("build", "--manifest", str(manifest), "--target", "dyno")
    finally:
        manifest.write_text(MANIFEST)
    assert_one_clear_line(failed, "dyno: app.build: `flask compile-asets` exited 2",
                          "No such command 'compile-asets'", "fix the command in targets.yaml")
    manifest.write_text(MANIFEST.replace(STEP, "echo half made >&2; exit 3"))
    try:
        quiet = invoke("build", "--manifest", str(manifest), "--target", "dyno")
    finally:
        manifest.write_text(MANIFEST)
    # No exception to quote: the line gives what the command said last.
    assert_one_clear_line(quiet, "dyno: app.build: `echo half made >&2; exit 3` exited 3: half made")
    assert (root / "build/dyno/build.json").read_bytes() == before
    assert not list((root / "build/.cache/app-build").glob(".work-*"))  # nothing half-made left
    assert managed_containers(engine) == []
