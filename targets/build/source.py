"""Check that what the manifest points at exists, before anything is built.

The entry point is checked statically (the module file exists and binds the
attribute at top level), because the app's dependencies need not be
installed on the host; the smoke run then proves it imports for real.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SourceError

if TYPE_CHECKING:
    from ..manifest import Project

# Never shipped: caches, VCS data, local secrets, tests.
EXCLUDED = ("__pycache__", "*.pyc", ".git", ".env", ".env.*", "tests", ".pytest_cache", "*.egg-info", ".venv")


def check(project: Project) -> None:
    app = project.manifest.app
    label = project.path.name
    source = project.root / app.source
    if not source.is_dir():
        raise SourceError(f"{label}: app.source: folder {app.source}/ does not exist; point it at the Flask app's folder")
    if not (source / app.requirements).is_file():
        raise SourceError(f"{label}: app.requirements: {app.source}/{app.requirements} does not exist")
    _check_entry(project, source)
    if app.static is not None:
        static = source / app.static
        if not static.is_dir():
            raise SourceError(
                f"{label}: app.static: folder {app.source}/{app.static} does not exist; create it or set app.static: null"
            )
        wanted = project.manifest.smoke.static_file
        if wanted and not (static / wanted).is_file():
            raise SourceError(f"{label}: smoke.static_file: {app.source}/{app.static}/{wanted} does not exist")


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


def copy(project: Project, dest: Path) -> None:
    """Copy the app source, minus EXCLUDED and, when the source is the project
    folder itself, minus build/ and the manifest."""
    patterns = shutil.ignore_patterns(*EXCLUDED)
    never = {project.build_dir.resolve(), project.path.resolve()}

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(patterns(folder, names)) | {n for n in names if (Path(folder) / n).resolve() in never}

    shutil.copytree(project.root / project.manifest.app.source, dest, ignore=ignore)
