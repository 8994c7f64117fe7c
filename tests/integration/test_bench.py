"""invoke bench races flaskship against tutorial-style Dockerfiles on any app that builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docker
import pytest

from tests.helpers import REPO, has_image, invoke, managed_containers

pytestmark = pytest.mark.docker


def test_bench_races_both_arms_on_an_app_that_is_not_the_demo(tmp_path: Path, engine: docker.DockerClient) -> None:
    # shop.main:application, health /ping, app.source "." (the manifest sits inside the app).
    shutil.copytree(REPO / "tests/fixtures/otherapp", tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    result = invoke("bench", "--manifest", str(tmp_path / "shop/targets.yaml"), "--quick")
    assert result.code == 0, result.stdout + result.stderr
    bench = json.loads((tmp_path / "shop/build/bench.json").read_text())
    figures = bench["figures"]
    # Figures for both arms, never asserted against budgets (the table says met / MISSED).
    for key in ("cold", "noop", "edit"):
        assert figures["build"]["ours"][key]["median"] > 0 and figures["build"]["naive"][key]["median"] > 0
    assert set(figures["sizes"]["naive"]["images"]) == {"dyno", "run", "stack", "stack-nginx"}
    assert set(figures["sizes"]["ours"]["images"]) == {"dyno", "fn", "run", "stack", "stack-nginx"}
    # The dependency layer is shared: the unique bytes are far below the sum of the images.
    ours = figures["sizes"]["ours"]
    assert ours["unique_above_base"] < ours["above_base"] / 2, ours
    assert set(figures["serve"]) == set(figures["load"]) == {"dyno", "run"}
    # The floor under each first-200 figure: a bare Python server's, in the same image.
    assert all(figures["serve"][name]["bare"]["first_200"]["median"] > 0 for name in ("dyno", "run"))
    assert "bare python -m http.server in it: " in result.stdout
    # Started as the platform starts an instance: under its limits, as the load is.
    assert figures["serve"]["run"]["limits"] == figures["load"]["run"]["limits"] == "--cpus 1 --memory 512m"
    assert "run: docker run -> first 200 (--cpus 1 --memory 512m)" in result.stdout
    assert figures["load"]["run"]["ours"]["rps"] > 0 and figures["zip"]["ours"]["fn"] > 0
    # Here (root, a local engine) the load ran in each container's network namespace, on its
    # loopback, around docker-proxy; the table says so.
    assert all(figures["load"][name][arm]["loopback"] == 1.0 for name in ("dyno", "run") for arm in ("ours", "naive"))
    assert "requests/s (--cpus 1 --memory 512m, on its loopback)" in result.stdout
    assert "cold build, all targets" in result.stdout and "ratio" in result.stdout
    # The floor beside the cold build and smoke: the machine's busy CPU over the median run.
    for figure in (figures["build"]["ours"]["cold"], figures["smoke"]["ours"]):
        assert figure["cpu"] > 0 and figure["cores"] >= 1, figure
    assert "machine busy" in next(line for line in result.stdout.splitlines() if line.startswith("smoke, all targets"))
    # What the figures were measured beside: the engine's images before the run (the bench's own gone since).
    held = bench["engine"]["images"]
    assert isinstance(held, int) and held > 0, bench["engine"]
    assert f"engine {engine.version()['Version']}, holding {held} images before the run" in result.stdout
    # Everything the bench built is gone (the engine is shared: only its own images are looked for).
    built = [i["id"] for arm in ("ours", "naive") for i in figures["sizes"][arm]["images"].values()]
    assert len(built) == 9 and not [i for i in built if has_image(engine, i)]
    # Every image built on this run's bases carries its label (inherited from them).
    assert not engine.images.list(all=True, filters={"label": f"io.flaskship.bench={bench['run']}"})
    assert managed_containers(engine) == []


