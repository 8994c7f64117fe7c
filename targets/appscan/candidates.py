"""The app's WSGI entry, found without running anything: an AST scan of its .py files.

A candidate is a module-level `NAME = Flask(...)` (or `flask.Flask(...)`) or a
top-level `def create_app` / `def make_app`; where there is none, a wsgi module's
`application` (or `app`) made by any call, as WSGI servers look for it. The probe later imports the one
chosen and checks that it really is a flask.Flask.

The factory-vs-object rule: a module-level object made by calling a factory
the scan found (a wsgi.py doing `app = create_app()`) is that factory's app,
not a second one, so the factory is the entry (`flaskr:create_app()`; it is
what gunicorn and the functions entry call, each once per process). Such an
object is a candidate only when no factory of that name was found (it comes
from an installed package). The one the app's own deploy files run (a gunicorn
line in its Procfile, Dockerfile or a top-level shell script) is the entry,
found or not, if its module binds the name (dribdat's `dribdat.app:init_app()`),
but not from a module that monkey-patches for gevent or eventlet workers; else,
of several, an object in its top-level wsgi.py, the module named for the WSGI
entry (flaskbb's, beside a click helper's make_app). Otherwise exactly one must
remain: none, or two (two objects, two factories, an object and a factory), is
an error listing them, to be settled with --entry.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InitError

FACTORIES = ("create_app", "make_app")
# Never the app: tests, virtualenvs, caches, vendored JS; at the top also what
# flaskship never ships (instance/, build/ (init's own venv lives there), dist/).
SKIP_ANYWHERE = frozenset({"tests", "test", "node_modules", "__pycache__", "site-packages", "venv", "env"})
SKIP_AT_TOP = frozenset({"instance", "build", "dist"})


@dataclass(frozen=True)
class Candidate:
    module: str
    name: str
    factory: bool
    path: str  # the file, relative to the app folder, for messages
    made_by: str = ""  # the factory a module-level object was made by calling, if any
    configured: bool = False  # made_by was called with arguments: the app's own configuration

    @property
    def entry(self) -> str:
        return f"{self.module}:{self.name}()" if self.factory else f"{self.module}:{self.name}"


def skipped(folder: Path, name: str, top: bool) -> bool:
    """A folder of no app file: tests, virtualenvs, caches, vendored JS, hidden ones, and at the top
    what flaskship never ships (nodelinks.py walks the same folders)."""
    return (name.startswith(".") or name in SKIP_ANYWHERE or (top and name in SKIP_AT_TOP)
            or name.endswith(".egg-info") or (folder / name / "pyvenv.cfg").is_file())


def _is_test(name: str) -> bool:
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def modules(app_dir: Path) -> Iterator[tuple[str, Path]]:
    """(dotted module name, file) of every .py file gunicorn could import from the app folder."""
    for folder, dirs, files in os.walk(app_dir):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not skipped(here, d, here == app_dir))
        for name in sorted(files):
            if not name.endswith(".py") or _is_test(name):
                continue
            parts = list((here / name).relative_to(app_dir).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            # A name Python cannot import (my-script.py, a keyword) is no entry module.
            if parts and all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
                yield ".".join(parts), here / name


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def scan(app_dir: Path) -> tuple[list[Candidate], list[Candidate]]:
    """(every candidate after the factory-vs-object rule, the objects that rule folded into their factory)."""
    found: list[Candidate] = []
    made: list[tuple[Candidate, str]] = []  # objects made by calling a factory, and its name
    conventional: list[Candidate] = []  # a wsgi module's `application = ...(...)`: see below
    for module, path in modules(app_dir):
        rel = path.relative_to(app_dir).as_posix()
        try:
            tree = ast.parse(path.read_bytes(), filename=rel)
        except (SyntaxError, ValueError):
            continue  # not importable either, so not the entry; gunicorn would say more
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in FACTORIES:
                found.append(Candidate(module, node.name, True, rel))
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if not names:
                    continue
                # `app = application = Flask(...)` is one object: its first name serves.
                callee = _callee(node.value)
                if callee == "Flask":
                    found.append(Candidate(module, names[0], False, rel))
                elif callee in FACTORIES:
                    configured = bool(node.value.args or node.value.keywords)
                    made.append((Candidate(module, names[0], False, rel, callee, configured), callee))
                elif module.rpartition(".")[2] == "wsgi" and {"application", "app"} & set(names) and callee:
                    name = "application" if "application" in names else "app"
                    conventional.append(Candidate(module, name, False, rel, callee))
    # An object made by calling a factory is that factory's app, so the factory is the entry;
    # unless the call passes arguments (bluelog's wsgi.py: create_app('production')): they are
    # the configuration the app deploys with, and the bare factory would run its default.
    if not found and not made:
        # The WSGI convention, where nothing else was found: anitya's anitya/wsgi.py binds
        # `application = create()`, a factory by another name. Only then: a wsgi.py that wraps
        # a found app in middleware would otherwise stand beside it. The probe checks it is Flask.
        return conventional, []
    configured = {callee for c, callee in made if c.configured}
    factories = {c.name for c in found if c.factory and c.name not in configured}
    kept = [c for c in found if not (c.factory and c.name in configured)]
    return (kept + [c for c, callee in made if callee not in factories and (c.configured or callee not in configured)],
            [c for c, callee in made if callee in factories])


def choose(candidates: list[Candidate], label: str) -> Candidate:
    """The one candidate, or an error listing the choices."""
    if not candidates:
        raise InitError(f"{label}: no Flask app found (no module-level Flask(...) object, no top-level "
                        f"{'()/'.join(FACTORIES)}() and no wsgi module's `application = ...` outside tests and "
                        "virtualenvs); name it with --entry module:attr")
    if len(candidates) > 1:
        listed = ", ".join(f"{c.entry} ({c.path})" for c in candidates)
        raise InitError(f"{label}: found {len(candidates)} Flask apps: {listed}; pick one with --entry module:attr")
    return candidates[0]


# Files at the app's top whose gunicorn line names the entry the app is deployed with.
DEPLOY_FILES = re.compile(r"Procfile|Dockerfile[\w.-]*|[\w.-]+\.sh|app\.ya?ml|docker-compose[\w.-]*\.ya?ml")
GUNICORN_LINE = re.compile(r"\bgunicorn\b(?P<args>[^\n]*)")
ENTRY_TOKEN = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*(?:\(.*\))?")


def settle(found: list[Candidate], app_dir: Path) -> tuple[list[Candidate], str]:
    """The one the app's deploy files run (a candidate, or a name its module defines: dribdat's
    Procfile runs `dribdat.app:init_app()`, a factory by another name), else, of several, the one
    object in a top-level wsgi.py: ([it], why it was taken over the others); else (`found`, "")."""
    others = f" (of {', '.join(c.entry for c in found)})" if found else ""
    passed: list[str] = []
    for name, line, entry in _deployed(app_dir):
        named = [c for c in found if c.entry == entry] or _defined(app_dir, entry)
        if not named:
            continue
        if MONKEY_PATCH.search(text_of(app_dir / named[0].path)):
            # dribdat's Procfile line 1: patched.py patches for gevent workers, and under
            # flaskship's gthread workers its second request hung.
            passed.append(f"{name} line {line}'s {entry}, whose module monkey-patches for gevent or eventlet "
                          "workers (flaskship's are gthread or sync)")
            continue
        return named, f"{name} line {line} runs gunicorn on it{others}" + "".join(f"; not {p}" for p in passed)
    if len(found) < 2:
        return found, ""
    wsgi = [c for c in found if c.module == "wsgi" and not c.factory]
    if len(wsgi) == 1:
        return wsgi, f"wsgi.py is the module named for the WSGI entry{others}"
    return found, ""


MONKEY_PATCH = re.compile(r"\b(?:monkey_patch|patch_all)\s*\(")


def text_of(path: Path) -> str:
    """The file's text (undecodable bytes replaced), or "" when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _defined(app_dir: Path, entry: str) -> list[Candidate]:
    """[the entry as a candidate] when its module is a file of the app that binds the name at its
    top (a def, an assignment, an import), else []: gunicorn would find it there, and the probe
    then checks that it gives a Flask app."""
    module, _, attr = entry.partition(":")
    factory, name = attr.endswith(")"), attr.split("(", 1)[0]
    folder = app_dir.joinpath(*module.split("."))
    for path in (folder.with_suffix(".py"), folder / "__init__.py"):
        if not path.is_file():
            continue
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            return []
        if name in _bound(tree):
            return [Candidate(module, name, factory, path.relative_to(app_dir).as_posix())]
    return []


def _bound(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _deployed(app_dir: Path) -> Iterator[tuple[str, int, str]]:
    """(file, line number, entry) of each gunicorn command in the app's top-level deploy files."""
    for path in sorted(app_dir.iterdir()):
        if not (DEPLOY_FILES.fullmatch(path.name) and path.is_file()):
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            command = GUNICORN_LINE.search(line)
            if command is None:
                continue
            try:
                words = shlex.split(command["args"], comments=True)
            except ValueError:  # an unclosed quote (a JSON-form CMD's): its words as they are
                words = command["args"].split()
            for word in words:
                word = word.strip("\"',[]")
                if ENTRY_TOKEN.fullmatch(word):
                    yield path.name, number, word


def why(candidate: Candidate, folded: list[Candidate], taken: str = "") -> str:
    if candidate.factory:
        what = f"top-level def {candidate.name}"
    elif candidate.configured:
        what = (f"module-level {candidate.name} = {candidate.made_by}(...), which passes the factory the arguments "
                "the app deploys with")
    else:
        what = f"module-level {candidate.name} = {candidate.made_by or 'Flask'}(...)"
    same = [f"{c.entry} ({c.path})" for c in folded if c.made_by == candidate.name]
    also = f"; {', '.join(same)} is made by calling it, so the factory is the entry" if same else ""
    if taken:
        return f"{what} in {candidate.path}{also}; {taken}"
    return f"the only Flask app in the code: {what} in {candidate.path}{also}"
