"""Check that what the manifest points at exists, before anything is built.

The entry point is checked statically (the module file exists and binds the
attribute at top level), because the app's dependencies need not be
installed on the host; the smoke run then proves it imports for real.
"""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SourceError
from ..ui.lines import notice
from . import ignore

if TYPE_CHECKING:
    from ..manifest import Project

# The folder, in the shipped code's, that holds what flaskship adds to run the app
# (gunicorn's settings for the platform, a prestart script), so that they arrive in
# the code's one COPY step: hidden, and no name Python can import. Not the app's:
# its own wheel is built, and keyed, without it (build/requirements.py).
OWN_FILES = ".flaskship"
APP_DIR = "/srv/app"  # where every Python image (and every container of the runner) has the code

# What is never shipped, and how .gitignore, .dockerignore and .gcloudignore
# combine: targets/build/ignore.py.


def check(project: Project) -> None:
    app = project.manifest.app
    label = project.path.name
    source = project.root / app.source
    if not source.is_dir():
        raise SourceError(f"{label}: app.source: folder {app.source}/ does not exist; point it at the Flask app's folder")
    _stays_inside(label, "app.source", source, project.root, "the manifest's folder")
    if not (source / app.requirements).is_file():
        raise SourceError(f"{label}: app.requirements: {app.source}/{app.requirements} does not exist")
    _stays_inside(label, "app.requirements", source / app.requirements, source, "app.source")
    _check_entry(project, source)
    _check_own_folder(project, source)
    if app.static is not None:
        static = source / app.static
        if not static.is_dir():
            raise SourceError(
                f"{label}: app.static: folder {app.source}/{app.static} does not exist; create it or set app.static: null"
            )
        _stays_inside(label, "app.static", static, project.root, "the manifest's folder")
        wanted = project.manifest.smoke.static_file
        # A file app.build makes is looked for in what it made (build/appbuild.py).
        if wanted and not (static / wanted).is_file() and app.build is None:
            raise SourceError(f"{label}: smoke.static_file: {app.source}/{app.static}/{wanted} does not exist")
        if wanted:
            _stays_inside(label, "smoke.static_file", static / wanted, static, "app.static")


def _stays_inside(label: str, key: str, path: Path, folder: Path, named: str) -> None:
    """The manifest's patterns forbid '..'; a symlink must not lead out either,
    or a build would copy (and nginx or Hosting serve) files from anywhere."""
    if not path.resolve().is_relative_to(folder.resolve()):
        shown = os.path.relpath(path, folder)
        raise SourceError(f"{label}: {key}: {shown} leads outside {named} (a symlink to {path.resolve()}); "
                          "keep it inside")


def _check_own_folder(project: Project, source: Path) -> None:
    """An app's own shipped .flaskship/ would be mixed with ours in every image (and its
    package wheel built without it): the name is flaskship's, so refuse it up front."""
    own = source / OWN_FILES
    if not (own.exists() or own.is_symlink()):
        return
    hit = ignore.excluded_by(ignore.read_rules(source.resolve()), OWN_FILES, own.is_dir())
    if hit is not None and not hit.descend:
        return  # left out of every artifact, so nothing of it meets ours
    raise SourceError(f"{project.path.name}: app.source: {project.manifest.app.source}/{OWN_FILES} is the name "
                      "flaskship gives its own files in each image (gunicorn's settings, the prestart script); "
                      "rename it, or leave it out with .dockerignore")


def _check_entry(project: Project, source: Path) -> None:
    app = project.manifest.app
    label = project.path.name
    parts = app.module.split(".")
    candidates = [source.joinpath(*parts).with_suffix(".py"), source.joinpath(*parts, "__init__.py")]
    module_file = next((path for path in candidates if path.is_file()), None)
    if module_file is None:
        looked = " and ".join(str(path.relative_to(project.root)) for path in candidates)
        raise SourceError(f"{label}: app.entry: cannot import module '{app.module}' (looked for {looked})")
    try:
        tree = ast.parse(module_file.read_bytes(), filename=str(module_file))
    except SyntaxError as exc:
        raise SourceError(f"{label}: app.entry: {module_file.name} line {exc.lineno}: syntax error: {exc.msg}") from None
    if app.attribute not in _top_level_names(tree):
        raise SourceError(
            f"{label}: app.entry: {module_file.relative_to(project.root)} defines no top-level '{app.attribute}'"
        )


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def copy(project: Project, dest: Path, progress: Callable[[str], None] | None = None) -> list[str]:
    """Copy the app source into `dest` (which must not exist yet), minus what
    ignore.py leaves out and, when the source is the project folder itself,
    minus build/ and the manifest.

    Returns what was left out that the user may have meant to ship (the top-most
    path of each, folders ending in /, routine caches not listed); `progress`,
    when given, gets it as one line.
    """
    root = project.app_dir.resolve()
    never = {project.build_dir.resolve(), project.path.resolve()}
    rules = ignore.read_rules(root)
    left_out: list[tuple[str, str]] = []  # (shown, label)

    def leave_out(shown: str, label: str) -> None:
        if not ignore.is_boring(shown):
            left_out.append((shown, label))

    dest.mkdir(parents=True)
    # followlinks=False: a link to a folder is listed in `dirs` but never walked.
    # An unreadable folder is an error, not a silently smaller artifact.
    for folder, dirs, files in os.walk(root, onerror=_raise):
        here = Path(folder)
        prefix = "" if here == root else here.relative_to(root).as_posix() + "/"
        if prefix:
            rules = rules + ignore.read_rules(root, prefix)  # a nested .gitignore, for this subtree
        walk_into: list[str] = []
        for name in sorted(dirs + files):
            path, rel = here / name, prefix + name
            if path in never:
                continue
            link = path.is_symlink()
            if link and not _inside(path, root):
                leave_out(f"{rel} (symlink out of the app folder, or broken)", ignore.DEFAULTS)
                continue
            is_dir = path.is_dir()
            if not is_dir and not path.is_file():
                leave_out(f"{rel} (not a regular file)", ignore.DEFAULTS)
                continue
            hit = ignore.excluded_by(rules, rel, is_dir)
            shown = rel + "/" if is_dir else rel
            if (hit is None or hit.descend) and ignore.default_excluded(rel, is_dir, _is_venv(path, link)):
                leave_out(shown, ignore.DEFAULTS)
            elif hit is not None and not (hit.descend and is_dir and not link):
                leave_out(shown, hit.label)
            elif link:
                # Shipped as a link (relative, so it points into the copy), never
                # as the bytes it points at: a link to a left-out file stays dangling.
                target = os.path.relpath(path.resolve(), here)
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                os.symlink(target, dest / rel)
            elif is_dir:
                walk_into.append(name)
                if hit is None:  # else .dockerignore drops it but may re-include some of its files
                    (dest / rel).mkdir(exist_ok=True)
            else:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest / rel, follow_symlinks=False)
        dirs[:] = walk_into
    # flaskship's defaults first: the user did not ask for those, so they are
    # the likeliest surprise; then what the user's own ignore files dropped.
    shown = [name for name, label in left_out if label == ignore.DEFAULTS]
    shown += [name for name, label in left_out if label != ignore.DEFAULTS]
    if shown and progress is not None:
        used = {label for _, label in left_out}
        labels = [rule.label for rule in rules if rule.label in used] + [ignore.DEFAULTS] * (ignore.DEFAULTS in used)
        line = ignore.summary(shown, list(dict.fromkeys(labels)))
        notice(progress, line, ("left-out", line))  # every target ships the same code: said once
    return shown


def _raise(error: OSError) -> None:
    raise SourceError(f"app.source: cannot read {error.filename} ({error.strerror}); "
                      "fix its permissions or leave it out with .dockerignore") from None


def _inside(path: Path, root: Path) -> bool:
    """Whether a link resolves to something that exists inside the app folder."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop
        return False
    return target.is_relative_to(root)


def _is_venv(path: Path, link: bool) -> bool:
    # A virtualenv can have any name; its pyvenv.cfg gives it away (only stat'ed, never read).
    return not link and (path / "pyvenv.cfg").is_file()
