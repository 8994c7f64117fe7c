"""What source.copy() ships into every artifact: ignore files, defaults, symlinks (no Docker)."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from targets import manifest
from targets.build import ignore, source
from targets.commands.build import render_only
from tests.helpers import REPO, copy_demo

# Every file planted here that must NOT ship holds "canary"; every one that must ship does not.
PLANTED = {
    "wsgi.py": "app = None\n",
    "requirements.txt": "flask\n",
    "environment.py": "NAME = 'not a .env file'\n",
    "README.md": "top-level markdown: .dockerignore's *.md drops it\n",
    "docs/guide.md": "nested markdown: *.md in .dockerignore is top-level only\n",
    "keep.log": "re-included by .gitignore's own !keep.log\n",
    "pkg/build/keep.txt": "build/ is left out only at the app's top\n",
    "pkg/notes.txt": "ships\n",
    ".gitignore": "*.log\n!keep.log\nlocal-notes.txt\n",
    ".dockerignore": "# Docker's rules\n*.md\n/docker-only.txt\n!debug.log\n!.env\n",
    ".gcloudignore": "gcloud-only.txt\n#!include:.gitignore\n",
    "pkg/.gitignore": "scratch.txt\n",
    # Left out by flaskship's defaults:
    ".env": "SECRET=canary-1\n",
    ".env.local": "SECRET=canary-2\n",
    ".ENV": "SECRET=canary-3\n",
    ".envrc": "export SECRET=canary-4\n",
    ".env~": "SECRET=canary-5\n",
    "secret.pem": "canary-6\n",
    "server.key": "canary-7\n",
    "id_rsa.pub": "canary-8\n",
    "backup.py~": "canary-9\n",
    "instance/config.py": "SECRET_KEY = 'canary-10'\n",
    "venv-custom/pyvenv.cfg": "home = /usr/bin\n",
    "venv-custom/lib/site.py": "canary-11\n",
    "tests/test_app.py": "canary-12\n",
    "build/out.txt": "canary-13\n",
    "dist/app.whl": "canary-14\n",
    "node_modules/x.js": "canary-15\n",
    "app.egg-info/PKG-INFO": "canary-16\n",
    "__pycache__/wsgi.cpython-312.pyc": "canary-17\n",
    ".git/config": "canary-18\n",
    # Left out by one ignore file each:
    "local-notes.txt": "canary-19 (.gitignore)\n",
    "debug.log": "canary-20 (.gitignore; .dockerignore's !debug.log cannot bring it back)\n",
    "docker-only.txt": "canary-21 (.dockerignore)\n",
    "gcloud-only.txt": "canary-22 (.gcloudignore)\n",
    "pkg/scratch.txt": "canary-23 (pkg/.gitignore)\n",
}
SHIPPED = [
    ".dockerignore", ".gcloudignore", ".gitignore", "docs/guide.md", "environment.py", "keep.log",
    "pkg/.gitignore", "pkg/build/keep.txt", "pkg/notes.txt", "requirements.txt", "wsgi.py",
]


def _plant(app: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)


def _project(root: Path, files: dict[str, str]) -> manifest.Project:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "targets.yaml", root / "targets.yaml")  # app.source: app
    _plant(root / "app", files)
    return manifest.load(root / "targets.yaml")


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def test_copy_ships_exactly_what_is_not_ignored(tmp_path: Path) -> None:
    source.copy(_project(tmp_path, PLANTED), tmp_path / "out")
    assert _files(tmp_path / "out") == SHIPPED


def test_no_canary_reaches_the_copy(tmp_path: Path) -> None:
    source.copy(_project(tmp_path, PLANTED), tmp_path / "out")
    leaks = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and b"canary" in p.read_bytes()]
    assert leaks == []


def test_left_out_line_names_what_the_user_may_have_meant_to_ship(tmp_path: Path) -> None:
    project = _project(tmp_path, {"wsgi.py": "app = None\n", ".env": "canary\n", "instance/config.py": "canary\n",
                                  "secret.pem": "canary\n", ".gitignore": "notes.txt\n", "notes.txt": "canary\n",
                                  "__pycache__/wsgi.pyc": "canary\n", "pkg/x.pyc": "canary\n", ".git/HEAD": "canary\n"})
    lines: list[str] = []
    source.copy(project, tmp_path / "out", progress=lines.append)
    # One line; routine caches (__pycache__, *.pyc, .git) go unmentioned.
    assert lines == ["  left out (not shipped): .env, instance/, secret.pem, notes.txt"
                     " (from .gitignore and flaskship's defaults; see README)"]


def test_left_out_lists_the_top_most_path_of_each_defaults_first(tmp_path: Path) -> None:
    lines: list[str] = []
    left_out = source.copy(_project(tmp_path, PLANTED), tmp_path / "out", progress=lines.append)
    assert left_out == [
        ".ENV", ".env", ".env.local", ".envrc", ".env~", "app.egg-info/", "backup.py~", "build/", "dist/", "id_rsa.pub",
        "instance/", "node_modules/", "secret.pem", "server.key", "tests/", "venv-custom/",
        "README.md", "debug.log", "docker-only.txt", "gcloud-only.txt", "local-notes.txt", "pkg/scratch.txt",
    ]
    assert lines == ["  left out (not shipped): .ENV, .env, .env.local, .envrc, .env~, app.egg-info/, backup.py~, build/"
                     " and 14 more (from .gitignore, .dockerignore, .gcloudignore, pkg/.gitignore and flaskship's"
                     " defaults; see README)"]


def test_copy_without_progress_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    left_out = source.copy(_project(tmp_path, PLANTED), tmp_path / "out")
    assert capsys.readouterr().out == "" and ".env" in left_out
    lines: list[str] = []
    assert source.copy(_project(tmp_path / "clean", {"wsgi.py": "app = None\n"}), tmp_path / "o2", lines.append) == []
    assert lines == []  # nothing left out: nothing said


def test_symlinks_out_of_the_app_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _plant(outside, {"secret.txt": "canary-outside\n", "dir/more.txt": "canary-outside-dir\n"})
    project = _project(tmp_path / "p", {"wsgi.py": "app = None\n", "data/real.txt": "ok\n"})
    app = project.app_dir
    os.symlink(outside / "secret.txt", app / "leak.txt")
    os.symlink(outside / "dir", app / "leakdir")
    os.symlink("../../outside/secret.txt", app / "relative-leak.txt")
    os.symlink("data/real.txt", app / "inside.txt")  # stays inside: shipped as a link
    os.symlink(".env", app / "settings.txt")  # a link to a left-out file: must not carry its bytes
    (app / ".env").write_text("canary-env\n")
    lines: list[str] = []
    source.copy(project, tmp_path / "out", lines.append)
    out = tmp_path / "out"
    assert _files(out) == ["data/real.txt", "inside.txt", "settings.txt", "wsgi.py"]
    assert os.readlink(out / "inside.txt") == "data/real.txt" and (out / "inside.txt").read_text() == "ok\n"
    assert not (out / "settings.txt").exists()  # dangling in the copy: .env was not shipped
    assert "leak.txt (symlink out of the app folder, or broken)" in lines[0]
    assert "leakdir (symlink out of the app folder, or broken)" in lines[0]
    assert "relative-leak.txt (symlink" in lines[0]


def test_dockerignore_can_re_include_a_file_inside_an_ignored_folder(tmp_path: Path) -> None:
    project = _project(tmp_path, {"wsgi.py": "app = None\n", ".dockerignore": "docs\n!docs/keep.txt\n",
                                  "docs/keep.txt": "ships\n", "docs/other.txt": "canary\n",
                                  "docs/sub/deep.txt": "canary\n", "docs/.env": "canary\n"})
    left_out = source.copy(project, tmp_path / "out")
    assert _files(tmp_path / "out") == [".dockerignore", "docs/keep.txt", "wsgi.py"]
    assert not (tmp_path / "out/docs/sub").exists()  # no empty folder left behind either
    # Docker looks inside (a later !pattern may re-include), so its files are named one by one.
    assert left_out == ["docs/.env", "docs/other.txt", "docs/sub/deep.txt"]


def test_project_folder_as_source_leaves_out_build_and_manifest_silently(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "tests/fixtures/otherapp", root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "build/run").mkdir(parents=True)
    (root / "build/run/build.json").write_text("{}")
    lines: list[str] = []
    left_out = source.copy(manifest.load(root / "targets.yaml"), tmp_path / "out", lines.append)
    shipped = _files(tmp_path / "out")
    assert "targets.yaml" not in shipped and not [p for p in shipped if p.startswith("build/")]
    assert "shop/main.py" in shipped and left_out == [] and lines == []


def test_functions_zip_carries_no_canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    project = manifest.load(copy_demo(tmp_path / "p") / "targets.yaml")
    _plant(project.app_dir, {".env": "SECRET=canary-1\n", "instance/config.py": "canary-2\n",
                             ".gitignore": "notes.txt\n", "notes.txt": "canary-3\n"})
    job = render_only(project, "functions", tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "out" / f"{job.name}.zip") as zf:
        names = zf.namelist()
        assert "wsgi.py" in names and not [n for n in names if b"canary" in zf.read(n)]


@pytest.mark.parametrize(("lines", "path", "is_dir", "left_out"), [
    (["*.md"], "README.md", False, True),
    (["*.md"], "docs/guide.md", False, False),  # Docker: no slash still means the top only
    (["/secrets"], "secrets/a.txt", False, True),  # a leading / is stripped; a folder covers its files
    (["docs/"], "docs", False, True),  # Docker cleans the trailing slash away: a file matches too
    (["**/*.md"], "a/b/c.md", False, True),
    (["**/*.md"], "c.md", False, True),  # ** is zero or more folders
    (["docs", "!docs/keep.txt"], "docs/keep.txt", False, False),  # re-included inside an ignored folder
    (["docs", "!docs/keep.txt"], "docs/other.txt", False, True),
    (["*", "!*.py"], "app.py", False, False),
    (["*", "!*.py"], "pkg/app.py", False, True),  # *.py is top-level only too
])
def test_dockerignore_has_dockers_semantics(tmp_path: Path, lines: list[str], path: str, is_dir: bool,
                                            left_out: bool) -> None:
    (tmp_path / ".dockerignore").write_text("\n".join(lines) + "\n")
    rules = ignore.read_rules(tmp_path)
    assert (ignore.excluded_by(rules, path, is_dir) is not None) is left_out


def test_gitignore_has_gits_semantics(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.md\nbuild/\n")
    rules = ignore.read_rules(tmp_path)
    assert ignore.excluded_by(rules, "docs/guide.md", False) is not None  # any depth, unlike Docker
    assert ignore.excluded_by(rules, "build", False) is None  # build/ is for folders only
    assert ignore.excluded_by(rules, "pkg/build", True) is not None


def test_gcloudignore_include_splices_in_another_file(tmp_path: Path) -> None:
    (tmp_path / ".gcloudignore").write_text("#!include:more.ignore\n!keep.txt\n")
    (tmp_path / "more.ignore").write_text("*.txt\n")
    rules = ignore.read_rules(tmp_path)
    hit = ignore.excluded_by(rules, "notes.txt", False)
    assert hit is not None and hit.label == ".gcloudignore"
    assert ignore.excluded_by(rules, "keep.txt", False) is None  # its own !pattern re-includes


def test_defaults_catch_env_variants_but_not_environment_py() -> None:
    for name in (".env", ".ENV", ".Env.local", ".envrc", ".env~", ".env.production"):
        assert ignore.default_excluded(name, False, False), name
    for name in ("environment.py", "env.py", "envs.txt", "config.py"):
        assert not ignore.default_excluded(name, False, False), name
    assert ignore.default_excluded("instance", True, False) and not ignore.default_excluded("pkg/instance", True, False)
    assert ignore.default_excluded("whatever", True, True)  # holds a pyvenv.cfg


def test_summary_names_at_most_eight_then_counts_the_rest() -> None:
    line = ignore.summary([f"f{i}" for i in range(11)], [".gitignore"])
    assert line == "  left out (not shipped): f0, f1, f2, f3, f4, f5, f6, f7 and 3 more (from .gitignore; see README)"


def test_an_ignore_file_out_of_the_app_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "elsewhere").write_text("*.py\n")
    os.symlink(tmp_path / "elsewhere", tmp_path / "app/.gitignore")
    with pytest.raises(ignore.SourceError, match="out of the app folder"):
        ignore.read_rules(tmp_path / "app")


@pytest.mark.parametrize("ignored", [False, True])
def test_an_app_folder_named_like_flaskships_own_is_refused_unless_left_out(tmp_path: Path, ignored: bool) -> None:
    # Each image's code carries flaskship's files in <code>/.flaskship/: an app's own
    # folder of that name would be mixed with them, so it is refused before any build.
    copy_demo(tmp_path)
    _plant(tmp_path / "app", {f"{source.OWN_FILES}/settings.py": "X = 1\n"})
    if ignored:
        _plant(tmp_path / "app", {".dockerignore": f"{source.OWN_FILES}\n"})
    project = manifest.load(tmp_path / "targets.yaml")
    if ignored:
        source.check(project)
        return
    with pytest.raises(ignore.SourceError, match=r"targets.yaml: app.source: app/\.flaskship is the name flaskship "
                                                 r".*rename it, or leave it out with \.dockerignore"):
        source.check(project)
