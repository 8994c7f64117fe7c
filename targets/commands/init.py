"""invoke init: look at an existing Flask app and write a starting targets.yaml for it.

Everything that can be refused cheaply (no such folder, a manifest already
there, an app outside the manifest's folder, a malformed --entry) is refused
before any venv is made. The text is validated exactly as `invoke build`
will read it before it is written, and written atomically, so init never
leaves a half-written or unloadable manifest.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from ..appscan import appenv, buildsteps, nodelinks
from ..appscan.detect import (WRITABLE_WHY, Detected, detect, refused_note, server_pin_note, shadowed_note,
                              sqlite_note, top_writes_note)
from ..appscan.errors import InitError
from ..appscan.lockcheck import lock_problems
from ..appscan.render import render, secret_why
from ..errors import ManifestError
from ..fields import Entry, EnvVarName, Line
from ..files import atomic_write
from ..manifest import DEFAULT_MANIFEST, parse_text
from ..pins import FRAMEWORK_NEEDS_FLASK_2, flask_before_2


def _paths(app: str, manifest: str | None, force: bool) -> tuple[Path, Path, str]:
    """(app folder, manifest path, app.source), or the one-line refusal."""
    if not app:
        raise InitError("name the Flask app's folder with --app DIR")
    app_dir = Path(app).resolve()
    if not app_dir.is_dir():
        raise InitError(f"--app {app}: no such folder; point it at the Flask app's folder")
    path = Path(manifest).resolve() if manifest else app_dir / DEFAULT_MANIFEST
    if not path.parent.is_dir():
        raise InitError(f"--manifest {manifest}: folder {path.parent} does not exist; create it first")
    if not app_dir.is_relative_to(path.parent):
        raise InitError(f"--app {app_dir} is not inside {path.parent}, the manifest's folder (app.source must stay "
                        "inside it: no absolute paths, no '..'); write the manifest in the app's folder or above it")
    if path.is_dir():
        raise InitError(f"--manifest {manifest}: {path} is a folder; name the file, e.g. {path / DEFAULT_MANIFEST}")
    if path.exists() and not force:
        raise InitError(f"{path} already exists; pass --force to overwrite it")
    return app_dir, path, app_dir.relative_to(path.parent).as_posix()


def validate(text: str, label: str) -> None:
    """Read the text exactly as `invoke build` reads a manifest; refuse to write it otherwise."""
    try:
        parse_text(text, label)
    except (ManifestError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InitError(f"not written, it would not load: {first}") from None


def report(detected: Detected, path: Path, shown: str, progress: Callable[[str], None],
           problems: Sequence[str] = ()) -> None:
    d = detected
    static = f"{d.static.value}/ at {d.static_url.value}" if d.static.value else "none"
    progress(f"init: wrote {path}")
    progress(f"  entry         {d.entry.value}  ({d.entry.why})")
    progress(f"  requirements  {d.requirements.value}  ({d.requirements.why})")
    progress(f"  static        {static}  ({d.static.why}; URL: {d.static_url.why})")
    progress(f"  python        {d.python.value}  ({d.python.why})")
    progress(f"  health        {d.health.value}  ({d.health.why})")
    if d.secret_key:
        where = "smoke" if d.key_file else "the probe and in smoke"
        progress(f"  secret        {d.secret_variable}  ({secret_why(d)}: a throwaway value in {where}, listed under "
                 "environments.development.secrets)")
    for service in d.services:
        progress(f"  service       {service.name}: {service.kind}  ({service.why})")
    if d.release:
        progress(f"  {d.release_key:<13} {d.release.value}  ({d.release.why})")
    if flask_before_2(d.flask_version):
        progress(f"  functions     left out (commented in the file): the app runs Flask {d.flask_version}, and "
                 f"{FRAMEWORK_NEEDS_FLASK_2}")
    elif d.functions_out:
        progress(f"  functions     left out (commented in the file): {d.functions_out}")
    if d.native:
        progress(f"  packages      build {', '.join(d.native.build)}; run {', '.join(d.native.system)}  "
                 f"({d.native.why})")
    built = buildsteps.build_command(d.build_steps)
    if built:
        progress(f"  build         {built}  ({buildsteps.build_why(d.build_steps)})")
    if d.writable:
        progress(f"  writable      {', '.join(d.writable)}  ({WRITABLE_WHY})")
    listed = ", ".join(f"{c['path']} {c['status']} {c.get('content_type', '')}".rstrip() for c in d.checks)
    progress(f"  checks        {len(d.checks)}: {listed or 'none'}  "
             f"(GET routes without parameters, as the app answered them{d.after_release()})")
    for reason in d.skipped:
        progress(f"  skipped       {reason} in the probe: not checked")
    if d.skipped and d.setup_hint:
        progress(f"  hint: {d.hint()}")
    warnings = (server_pin_note(d), shadowed_note(d) if d.shadowed else None, d.not_found,
                top_writes_note(d) if d.writes_top else None, sqlite_note(d),
                buildsteps.note(d.build_steps), buildsteps.static_note(d.static_writes, d.build_steps),
                d.release_note, d.release_failed, refused_note(d), nodelinks.note(list(d.node_links)),
                appenv.written_note(d.key_written, d.secret_variable), *problems)
    for warning in warnings:
        if warning:
            progress(f"  warning: {warning}")
    progress("next:")
    again = started_as(sys.argv)
    progress(f"  {again} build --manifest {shown} --target all")
    progress(f"  {again} smoke --manifest {shown}")


def started_as(argv: Sequence[str]) -> str:
    """The command this run was started with, for the next ones: `flaskship`, or invoke with the
    same --search-root (from an app's folder, a plain `invoke` finds no tasks there)."""
    if Path(argv[0]).name == "flaskship":
        return "flaskship"
    for number, word in enumerate(argv[1:], 1):
        if word.startswith("--search-root="):
            return f"invoke --search-root {shlex.quote(word.partition('=')[2])}"
        if word in ("--search-root", "-r") and number + 1 < len(argv):
            return f"invoke --search-root {shlex.quote(argv[number + 1])}"
    return "invoke"


def given_env(pairs: Sequence[str]) -> dict[str, str]:
    """--env NAME=value pairs, as targets.yaml takes a name and a value. A refusal quotes the name
    only: the value may be a secret."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            TypeAdapter(EnvVarName).validate_python(name)
            TypeAdapter(Line).validate_python(value)
        except ValidationError:
            sep = ""
        if not sep:
            raise InitError(f"--env {name[:40]!r}...: write NAME=value, NAME in capitals, digits and _ (as "
                            "targets.yaml takes it) and the value on one printable line, e.g. --env SEARXNG_SECRET=x")
        given[name] = value
    return given


def init(app: str, manifest: str | None = None, *, force: bool = False, entry: str | None = None,
         env: Sequence[str] = (), progress: Callable[[str], None] = print) -> Path:
    given = given_env(env)
    app_dir, path, source = _paths(app, manifest, force)
    if entry:
        try:
            TypeAdapter(Entry).validate_python(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            message = "" if error["type"] == "string_pattern_mismatch" else str(error["msg"]).removeprefix("Value error, ") + "; "
            raise InitError(f"--entry {entry!r}: {message}write module:attr or module:factory() as gunicorn takes it, "
                            "e.g. wsgi:app or flaskr:create_app()") from None
    detected = detect(app_dir, path.parent / "build" / ".cache", entry, progress, given)
    _write(detected, source, path)
    problems, functions_out = lock_problems(path, progress)
    if functions_out:  # as for an app on Flask 1: written commented, with the reason
        detected = replace(detected, functions_out=functions_out)
        _write(detected, source, path)
    shown = shlex.quote(manifest if manifest else str(Path(app) / DEFAULT_MANIFEST))
    report(detected, path, shown, progress, problems)
    return path


def _write(detected: Detected, source: str, path: Path) -> None:
    """The manifest, validated as `invoke build` reads it, written whole or not at all."""
    text = render(detected, source)
    validate(text, path.name)
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise InitError(f"cannot write {path}: {exc.strerror or exc}") from None
