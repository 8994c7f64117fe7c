"""Apps that declare dependencies as real apps do, from `invoke init` to a green smoke.

Four fixture apps (tests/fixtures/apps/README.md), each put through `invoke init`
(which must choose its dependency file), `invoke build` and `invoke smoke` once
per session, with only the edits a user makes (a free compose port; for
reqs_app, checks that the compiled and the sdist-built modules are the ones
imported, which smoke then asks of every kind):
- reqs_app, on all four kinds (the one app that proves every kind green with
  these dependencies): -r and -c includes, an extra, a Windows-only marker, an
  sdist-only pure package (langdetect) and an sdist with a C extension (crcmod);
- hashed_app, a requirements file as `pip-compile --generate-hashes` writes it;
  uv_app, a package with uv.lock and a dev group that must stay out; pipenv_app,
  Pipfile and Pipfile.lock with dev-packages: each on heroku only, an app image
  whose lock is the app's own plus the server's lines, hashed to match (the
  other kinds install a lock the same way: reqs_app shows it on all four).
Then what each build promises: every image holds exactly the one hashed lock of
the build, installed in hash-checking mode; an SBOM per image lists what its
venv holds; no compiler in any runtime image; a second build compiles and
downloads nothing. Other kinds with other apps: test_init.py.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import yaml
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from targets.build import reqlines
from tests.helpers import REPO, SESSION, free_port, invoke, managed_containers, record

pytestmark = pytest.mark.docker

FIXTURES = REPO / "tests/fixtures/apps"
KINDS = ("cloudrun", "compose", "functions", "heroku")  # the targets init writes, one per kind
PYTHON_IMAGES = {"cloudrun": "app", "heroku": "app", "compose": "app", "functions": "runner"}
PLATFORM = {"gunicorn": "23.0.0", "packaging": None}  # pins.py's server and its one dependency
INSTALLER = {"pip", "setuptools", "wheel"}
LIST = ("import json, importlib.metadata as m; "
        "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")
COMPILING = "from its sdist in flaskship-standin/builder-"
WARNING = "warning: no wheel for Python"
LOCKING = "locking the dependencies for Python >= "
BUILDER_ROLE = "io.flaskship.role=sdist-build"
# Compilers, an installer (uv) and what installing leaves that no runtime
# reads (activate scripts; RECORD, INSTALLER, REQUESTED, uv_cache.json): none may reach a runtime image.
NO_COMPILER = ["sh", "-c", "command -v gcc cc c++ x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc uv /tmp/uv; "
               "ls -d /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1 2>/dev/null; "
               "find /opt -path '*.dist-info/*' \\( -name RECORD -o -name INSTALLER -o -name REQUESTED "
               "-o -name uv_cache.json \\) 2>/dev/null; true"]
# What init must choose as the dependency file.
APPS = {"reqs_app": "requirements.txt", "hashed_app": "requirements.txt", "uv_app": "uv.lock",
        "pipenv_app": "Pipfile.lock"}
# The targets (init names each after its kind) built and smoked for each app.
BUILT = {"reqs_app": KINDS, "hashed_app": ("heroku",), "uv_app": ("heroku",), "pipenv_app": ("heroku",)}
# The checks a user adds: smoke then asks every kind whether the compiled and the built modules are imported.
OWN_CHECKS = {"reqs_app": (
    '    - {name: compiled, path: /crc, json_includes: {extension: true, module: crcmod._crcfunext, crc32: cbf43926}}\n'
    '    - {name: sdist, path: /detect, json_includes: {package: langdetect, language: fr}}\n')}


@dataclass
class Shipped:
    root: Path
    build_output: str
    builders: int  # sdist-build containers created during the build
    init_output: str = ""




class BuilderCount:
    """sdist-build containers of this session created while it is open, from a live event stream
    (the engine keeps only its last 256 events, too few to ask afterwards on a busy engine)."""

    def __init__(self, engine: docker.DockerClient) -> None:
        self.stream = engine.events(decode=True, filters={"type": "container", "event": "create",
                                                          "label": [f"io.flaskship.session={SESSION}", BUILDER_ROLE]})
        self.count = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for _ in self.stream:
                self.count += 1
        except Exception:  # the stream closed under us: counting is over
            pass

    def stop(self) -> int:
        time.sleep(1)  # let the last event arrive
        self.stream.close()
        self.thread.join(timeout=5)
        return self.count


_SHIPPED: dict[str, Shipped] = {}


_FAILED: set[str] = set()


def ship(name: str, tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Shipped:
    """init -> build -> smoke of the app's BUILT targets, once per app per session."""
    if name in _FAILED:
        pytest.fail(f"{name} did not ship: its first test says why")
    if name not in _SHIPPED:
        _FAILED.add(name)  # until it has shipped
        root = tmp_path_factory.mktemp("dep-apps") / name
        shutil.copytree(FIXTURES / name, root, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        init = invoke("init", "--app", str(root))
        assert init.code == 0, init.stdout + init.stderr
        manifest = root / "targets.yaml"
        text = manifest.read_text()
        assert yaml.safe_load(text)["app"]["requirements"] == APPS[name], text
        text = text.replace("publish: 8000", f"publish: {free_port()}")
        if name in OWN_CHECKS:
            text = text.replace("  checks:\n", "  checks:\n" + OWN_CHECKS[name], 1)
        manifest.write_text(text)
        base = invoke("base-images", "--manifest", str(manifest))  # init may pick a Python with no stand-in yet
        assert base.code == 0, base.stdout + base.stderr
        targets = ["all"] if BUILT[name] == KINDS else list(BUILT[name])
        selected = [arg for target in targets for arg in ("--target", target)]
        counting = BuilderCount(engine)
        built = invoke("build", *selected, "--manifest", str(manifest))
        builders = counting.stop()
        assert built.code == 0, built.stdout[-4000:] + built.stderr[-2000:]
        smoked = invoke("smoke", *selected, "--manifest", str(manifest))
        assert smoked.code == 0, smoked.stdout[-4000:] + smoked.stderr[-2000:]
        _SHIPPED[name] = Shipped(root, built.stdout + built.stderr, builders, init.stdout + init.stderr)
        _FAILED.discard(name)
    return _SHIPPED[name]


@pytest.fixture(scope="module", params=sorted(APPS))
def shipped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            engine: docker.DockerClient) -> tuple[str, Shipped]:
    return request.param, ship(request.param, tmp_path_factory, engine)


@pytest.fixture(scope="module")
def reqs(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Shipped:
    return ship("reqs_app", tmp_path_factory, engine)


def targets_of(root: Path) -> dict[str, str]:
    """target name -> kind, of the targets built (init names each after its kind)."""
    written = yaml.safe_load((root / "targets.yaml").read_text())["targets"]
    return {name: str(t["kind"]) for name, t in written.items() if (root / "build" / name / "build.json").is_file()}


def images(root: Path) -> dict[str, str]:
    """target name -> the id of its Python image."""
    return {name: record(root, name)["images"][PYTHON_IMAGES[kind]]["id"] for name, kind in targets_of(root).items()}


_INSTALLED: dict[str, dict[str, str]] = {}


def installed(engine: docker.DockerClient, image: str) -> dict[str, str]:
    """name -> version of every distribution in the image's venv, asked of the image once."""
    if image not in _INSTALLED:
        out = engine.containers.run(image, ["python", "-c", LIST], remove=True, working_dir="/",
                                    labels={"io.flaskship.session": SESSION})
        _INSTALLED[image] = {k: v for k, v in json.loads(out.decode()).items() if k not in INSTALLER}
    return _INSTALLED[image]


def expected(name: str, root: Path) -> dict[str, str | None]:
    """name -> version (None: any) of everything an app image (not functions) must hold, and nothing else."""
    if name == "reqs_app":
        return {"flask": "3.1.3", "asgiref": "3.8.1", "itsdangerous": "2.2.0", "blinker": "1.9.0", "werkzeug": None,
                "jinja2": None, "markupsafe": None, "click": None, "langdetect": "1.0.9", "crcmod": "1.7",
                "six": "1.16.0", **PLATFORM}
    if name == "hashed_app":
        return {**pins((root / "requirements.txt").read_text()), **PLATFORM}
    if name == "pipenv_app":
        lock = json.loads((root / "Pipfile.lock").read_text())
        return {n: s["version"].lstrip("=") for n, s in lock["default"].items()} | PLATFORM
    lock = tomllib.loads((root / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    seen: dict[str, str | None] = {"uv-app": "0.1.0"}
    todo = [d["name"] for d in packages["uv-app"]["dependencies"]]
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen[dep] = packages[dep]["version"]
            todo += [d["name"] for d in packages[dep].get("dependencies", []) if "win32" not in d.get("marker", "")]
    return seen | PLATFORM


def pins(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for _, _, logical in reqlines.logical_lines(text):
        spec = reqlines.split_requirement(logical)[0] if logical and not logical.startswith("-") else ""
        if "==" in spec:
            name, _, version = spec.partition("==")
            found[name.strip().lower().split("[")[0].replace("_", "-")] = version.split(";")[0].strip()
    return found


def requirement_lines(text: str) -> list[str]:
    return [logical for _, _, logical in reqlines.logical_lines(text) if logical and not logical.startswith("-")]


# -- every shape, every kind ----------------------------------------------------------------------------

def test_init_build_and_smoke_are_green(shipped: tuple[str, Shipped], engine: docker.DockerClient) -> None:
    name, app = shipped
    report = json.loads((app.root / "build/smoke.json").read_text())["targets"]
    assert sorted(targets_of(app.root).values()) == sorted(BUILT[name])  # reqs_app: every kind
    assert {t: entry["passed"] for t, entry in report.items()} == {t: True for t in targets_of(app.root)}, report
    if name in OWN_CHECKS:
        checked = {r["check"] for entry in report.values() for r in entry["results"]}
        assert {"compiled", "sdist"} <= checked
    assert managed_containers(engine) == []


def test_every_image_holds_exactly_the_one_lock(shipped: tuple[str, Shipped], engine: docker.DockerClient) -> None:
    name, app = shipped
    found = {target: installed(engine, image) for target, image in images(app.root).items()}
    kinds = targets_of(app.root)
    apps = [found[t] for t, kind in kinds.items() if kind != "functions"]
    runners = [found[t] for t, kind in kinds.items() if kind == "functions"]
    wanted = expected(name, app.root)
    for image in apps:  # cloudrun, heroku and compose: exactly the lock, the very same set
        assert sorted(image) == sorted(wanted), (sorted(image), sorted(wanted))
        assert {k: image[k] for k, v in wanted.items() if v} == {k: v for k, v in wanted.items() if v}
    for runner in runners:  # the lock with functions-framework's lines too: a superset of the same versions
        assert {k: runner.get(k) for k, v in wanted.items() if v} == {k: v for k, v in wanted.items() if v}
        assert set(wanted) <= set(runner) and "functions-framework" in runner
        assert all(runner.get(k) == v for image in apps for k, v in image.items())
    # dev groups and dev-packages, a Windows-only marker: never installed; a constraint alone
    # (idna, in reqs_app) installs nothing either, though functions-framework's own lines may need it
    assert not {"pytest", "pluggy", "iniconfig", "pywin32"} & {k for image in found.values() for k in image}
    assert not {"idna"} & {k for image in apps for k in image}


def test_hash_checking_mode_in_every_image_and_the_same_lock_in_the_zip(shipped: tuple[str, Shipped]) -> None:
    _, app = shipped
    versions: dict[str, str] = {}
    for target, kind in targets_of(app.root).items():
        context = app.root / "build" / target / record(app.root, target)["images"][PYTHON_IMAGES[kind]]["context"]
        text = (context / "requirements.txt").read_text()
        lines = requirement_lines(text)
        assert lines and all("--hash=sha256:" in line for line in lines), lines
        # The venv was made from it with every hash checked (engine/venv.py; a wrong one fails:
        # tests/unit/test_venv.py), and the image ADDs that venv.
        assert (context / "venv.tar.gz").is_file() and "ADD venv.tar.gz /opt/venv/" in (context / "Dockerfile").read_text()
        for package, version in pins(text).items():
            assert versions.setdefault(package, version) == version, (target, package)  # no two targets disagree
    functions = next((t for t, kind in targets_of(app.root).items() if kind == "functions"), None)
    if functions is None:
        return
    with zipfile.ZipFile(app.root / f"build/{functions}.zip") as zf:
        shipped_lock = zf.read("requirements.txt").decode()
    assert all("--hash=sha256:" in line for line in requirement_lines(shipped_lock))
    assert {k: v for k, v in pins(shipped_lock).items() if k in versions} == \
        {k: v for k, v in versions.items() if k in pins(shipped_lock)}


def test_an_unchanged_build_needs_no_index_and_builds_nothing(shipped: tuple[str, Shipped]) -> None:
    name, app = shipped
    targets = ["all"] if BUILT[name] == KINDS else list(BUILT[name])
    # No index for pip or uv, and no uv cache to answer from: the lock comes from build/.cache alone.
    again = invoke("build", *(arg for target in targets for arg in ("--target", target)),
                   "--manifest", str(app.root / "targets.yaml"),
                   env={"PIP_NO_INDEX": "1", "UV_NO_CACHE": "1", "UV_INDEX_URL": "http://127.0.0.1:9/simple"})
    output = again.stdout + again.stderr
    assert again.code == 0, output[-4000:]
    assert output.count(": up to date (") == len(targets_of(app.root)), output


def test_each_image_has_an_sbom_of_what_its_venv_holds(shipped: tuple[str, Shipped],
                                                       engine: docker.DockerClient) -> None:
    _, app = shipped
    for target, image in images(app.root).items():
        kind = targets_of(app.root)[target]
        entry = record(app.root, target)["sboms"][PYTHON_IMAGES[kind]]
        text = (app.root / "build" / target / entry["path"]).read_text()
        # The build skips cyclonedx-py's own validation (most of its time): checked here instead.
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None, target
        bom = json.loads(text)
        assert bom["bomFormat"] == "CycloneDX" and bom["metadata"]["component"]["bom-ref"] == image
        listed = {c["name"].lower().replace("_", "-"): c["version"] for c in bom["components"]}
        assert listed == installed(engine, image), target


# -- sdists and compilers (reqs_app) --------------------------------------------------------------------

def test_the_c_sdist_is_compiled_once_with_one_warning_naming_pythons_with_wheels(reqs: Shipped) -> None:
    assert reqs.builders == 1 and reqs.build_output.count(COMPILING) == 1, reqs.build_output
    warnings = [line for line in reqs.build_output.splitlines() if WARNING in line]
    assert len(warnings) == 1 and "crcmod==1.7: none, for any Python" in warnings[0], warnings
    assert "building langdetect==1.0.9 from its sdist on the host" in reqs.build_output


def test_making_the_lock_is_said_by_init_and_kept_for_the_build(reqs: Shipped) -> None:
    # A second or more of uv with the index, said; init's last check makes the build's locks
    # (appscan/lockcheck.py), and a kept lock is not said (also the next test).
    assert LOCKING in reqs.init_output, reqs.init_output
    assert LOCKING not in reqs.build_output, reqs.build_output


def test_no_compiler_reaches_any_runtime_image(reqs: Shipped, engine: docker.DockerClient) -> None:
    builders = [tag for img in engine.images.list(name="flaskship-standin/*") for tag in img.tags
                if "/builder-" in tag]
    assert builders and "gcc" in _compilers(engine, builders[0])  # the probe finds one where there is one
    every = [image["id"] for target in targets_of(reqs.root) for image in record(reqs.root, target)["images"].values()]
    assert len(every) == 5  # four Python images and compose's nginx
    for image in every:
        assert _compilers(engine, image) == "", image
    # No installer in any build context: the venv comes made from the host (engine/venv.py).
    assert [p for p in (reqs.root / "build").rglob("uv") if p.is_file() and ".cache" not in p.parts] == []


def _compilers(engine: docker.DockerClient, image: str) -> str:
    out = engine.containers.run(image, NO_COMPILER, remove=True, labels={"io.flaskship.session": SESSION},
                                entrypoint=[])
    return out.decode().strip()


def test_a_second_build_compiles_and_downloads_nothing(reqs: Shipped, engine: docker.DockerClient) -> None:
    cache = reqs.root / "build/.cache"
    before = {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in sorted(cache.rglob("*.whl"))}
    # An SBOM reads the venv and platform tars, which a code edit leaves alone: none is made again.
    sboms = {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in sorted(cache.glob("sbom/*.cdx.json"))}
    app = reqs.root / "app.py"
    app.write_text(app.read_text() + "\n# edited by test_dep_apps\n")
    counting = BuilderCount(engine)
    # No index at all, for pip and for uv: any download in this build would fail it.
    again = invoke("build", "--target", "all", "--manifest", str(reqs.root / "targets.yaml"),
                   env={"PIP_NO_INDEX": "1", "UV_OFFLINE": "1"})
    builders = counting.stop()
    output = again.stdout + again.stderr
    assert again.code == 0, output[-4000:]
    assert builders == 0
    for line in (COMPILING, LOCKING, "within that lock (uv pip compile", "resolving wheels", "building the builder image",
                 "from its sdist on the host"):
        assert line not in output, output
    assert output.count(WARNING) == 1  # still said once: the pin still has no wheel
    assert {str(p.relative_to(cache)): p.stat().st_mtime_ns for p in sorted(cache.rglob("*.whl"))} == before
    assert sboms and {str(p.relative_to(cache)): p.stat().st_mtime_ns
                      for p in sorted(cache.glob("sbom/*.cdx.json"))} == sboms
