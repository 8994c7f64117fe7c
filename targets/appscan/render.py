"""Detected -> targets.yaml text: a small hand-written template, so every value can carry its reason.

Every string is written JSON-quoted (a YAML double-quoted scalar), so no
value can be read as another type (`3.10`, `null`, `yes`) or break the
structure; comments are made one printable line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..pins import FRAMEWORK_NEEDS_FLASK_2, flask_before_2
from . import appenv, buildsteps
from .appenv import SECRET_KEY
from .detect import WRITABLE_WHY, Detected, server_pin_note, shadowed_note, top_writes_note

REGION = "us-central1"
PUBLISH = 8000
ENTRY_POINT = "handler"


def q(value: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes are a subset of YAML's."""
    return json.dumps(value, ensure_ascii=False)


def note(text: str) -> str:
    """A comment: one line, no control characters."""
    return "# " + "".join(ch if ch.isprintable() else " " for ch in text)


def _value(value: Any) -> str:
    return "null" if value is None else q(value) if isinstance(value, str) else json.dumps(value)


def _check(check: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{key}: {_value(value)}" for key, value in check.items()) + "}"


SWITCH_ON = "true"  # what distutils' strtobool, `== "true"`, `.lower() in (...)` and truthiness all take


def _services(d: Detected) -> list[str]:
    """The services block: each with why it was detected and the variables it is wired to."""
    if not d.services:
        return []
    lines = ["services:  " + note("started for smoke; the app reads them from these variables")]
    for service in d.services:
        env = ", ".join(f"{name}: {field}" for name, field in service.env.items())
        lines += [f"  {service.name}:  {note(service.why)}", f"    kind: {service.kind}",
                  *(f"    {key}: {q(value)}" for key, value in service.settings.items()), f"    env: {{{env}}}"]
    return [*lines, ""]


# A name given with init's --env that holds a secret: listed under secrets (a throwaway value in
# smoke), its value never written.
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|(?:^|_)KEY(?:$|_)")


def _environment(d: Detected) -> str:
    """The development environment's plain variables: the switches that turn a wired service on,
    and what init was given with --env that is not a secret."""
    values = {name: SWITCH_ON for service in d.services for name in service.switches}
    whys = [f"{name}: the app reads it, and {service.name} ({service.kind}) is wired"
            for service in d.services for name in service.switches]
    given = {name: value for name, value in d.given if not SECRET_NAME.search(name)}
    values.update(given)
    whys += [f"{', '.join(given)}: given to init with --env"] if given else []
    if not values:
        return "    env: {}  " + note("plain variables the app runs with, NAME: value")
    return f"    env: {{{', '.join(f'{name}: {q(value)}' for name, value in values.items())}}}  " + note(
        f"plain variables the app runs with; {'; '.join(whys)}")


def _secrets(d: Detected) -> list[str]:
    """The development environment's secrets: the app's key, and the secret names given with --env."""
    given = [name for name, _ in d.given if SECRET_NAME.search(name) and not (d.secret_key and name == d.secret_variable)]
    names = [d.secret_variable] * bool(d.secret_key) + given
    if not names:
        return []
    whys = [secret_why(d)] * bool(d.secret_key) + ([f"{', '.join(given)}: given to init with --env"] if given else [])
    return [f"    secrets: [{', '.join(names)}]  " + note(f"{'; '.join(whys)}; smoke uses a throwaway value unless "
                                                         "the host sets it")]


def render(d: Detected, source: str) -> str:
    lines = [
        note(f"flaskship manifest written by `invoke init` for the Flask app in {d.folder}/."),
        note("Each value says why it was chosen; review them. Reference: flaskship's README.md."),
        "",
        "app:",
        f"  source: {q(source)}  {note('the Flask app folder, relative to this file')}",
        f"  entry: {q(d.entry.value)}  {note(d.entry.why)}",
        f"  requirements: {q(d.requirements.value)}  {note(d.requirements.why)}",
        *(["  " + note(f"warning: {pinned}")] if (pinned := server_pin_note(d)) else []),
        f"  static: {_value(d.static.value)}  {note(d.static.why)}",
        f"  static_url: {q(d.static_url.value)}  {note(d.static_url.why)}",
        *([f"  {d.release_key}: {q(d.release.value)}  {note(d.release.why)}"] if d.release else []),
        *(["  " + note(f"warning: {d.release_note}")] if d.release_note else []),
        *([f"  build: {q(built)}  {note(buildsteps.build_why(d.build_steps))}"]
          if (built := buildsteps.build_command(d.build_steps)) else []),
        *([f"  writable: [{', '.join(q(f) for f in d.writable)}]  {note(WRITABLE_WHY)}"] if d.writable else []),
        *([f"  build_packages: [{', '.join(d.native.build)}]  {note(d.native.why)}",
           f"  system_packages: [{', '.join(d.native.system)}]  {note('their run-time libraries, in every image')}"]
          if d.native else []),
        *(["  " + note(f"warning: {top_writes_note(d)}")] if d.writes_top else []),
        *(["  " + note(f"warning: {warned}")] if (warned := buildsteps.note(d.build_steps)) else []),
        *(["  " + note(f"warning: {unserved}")]
          if (unserved := buildsteps.static_note(d.static_writes, d.build_steps)) else []),
        "",
        "smoke:",
        f"  health: {q(d.health.value)}  {note(d.health.why)}",
        "  " + note("Every GET route without parameters, as the app answered it once in init's probe"
                    f"{d.after_release()}."),
        "  " + note("Add `contains:`, `headers:` or `json_includes:` to say more; see Check in the README."),
    ]
    if d.checks:
        lines.append("  checks:")
        lines += [f"    - {_check(check)}" for check in d.checks]
    else:
        lines.append("  checks: []")
    lines += ["  " + note(f"skipped: {reason} in the probe") for reason in d.skipped]
    if d.release_failed:
        lines.append("  " + note(f"warning: {d.release_failed}"))
    if d.shadowed:
        lines.append("  " + note(shadowed_note(d)))
    if d.not_found:
        lines.append("  " + note(f"warning: {d.not_found}"))
    if d.skipped and d.setup_hint:
        lines.append("  " + note(f"hint: {d.hint()}"))
    lines += [
        "",
        "defaults:",
        f"  python: {q(d.python.value)}  {note(d.python.why)}",
        *([f"  services: [{', '.join(s.name for s in d.services)}]  {note('every target uses them')}"]
          if d.services else []),
        "",
        *_services(d),
        "environments:",
        "  development:  " + note("the one `invoke smoke` uses unless --env names another"),
        _environment(d),
        *_secrets(d),
        *(["    " + note(f"warning: {written}")]
          if (written := appenv.written_note(d.key_written, d.secret_variable)) else []),
        "",
        "targets:",
        "  cloudrun:",
        "    kind: cloudrun",
        f"    service_id: {q(d.name)}  {note(f'the app folder {d.folder!r} as a DNS label')}",
        f"    region: {q(REGION)}",
        "  heroku:",
        "    kind: heroku",
        f"    app: {q(d.name)}  {note('the Heroku app name; the same label')}",
        "  compose:",
        "    kind: compose",
        f"    publish: {PUBLISH}  {note('nginx on 127.0.0.1:8000')}",
        *_functions(d),
    ]
    return "\n".join(lines) + "\n"


def secret_why(d: Detected) -> str:
    if d.key_file:
        return (f"{d.secret_key} names it, and given none the app made its own {d.key_file}: one per worker in an "
                "image, so that a session one worker signs the next cannot read")
    if d.secret_variable != SECRET_KEY:
        return f"{d.secret_key} reads it into SECRET_KEY"
    return f"{d.secret_key} reads it from the environment"


def _functions(d: Detected) -> list[str]:
    """The functions target; left out, commented, for an app on a Flask functions-framework
    cannot import, or whose requirements cannot be locked with it: its build would refuse
    it (kinds/functions, build/buildlock.py), on every build."""
    lines = ["  functions:", "    kind: functions",
             f"    entry_point: {q(ENTRY_POINT)}  {note('the function name in the generated main.py')}"]
    if flask_before_2(d.flask_version):
        why = (f"left out: the app runs Flask {d.flask_version}, and {FRAMEWORK_NEEDS_FLASK_2}; "
               "with Flask>=2.0 in the app's requirements, uncomment it")
    elif d.functions_out:
        why = f"left out: {d.functions_out}; uncomment it once they can be"
    else:
        return lines
    return ["  " + note(why), *(f"  # {line[2:]}" for line in lines)]
