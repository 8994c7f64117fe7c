"""The one Jinja2 environment and its explicit loader.

Templates are addressed as "<prefix>/<file>". The prefixes, and the folder
each reads from, are listed in one place (folders() below):
  build/    targets/build/templates: the Python image Dockerfile every kind extends
  engine/   targets/engine/templates: base-image stand-ins
  services/ targets/services/templates: stand-ins for the service images (postgres, redis, moto)
  <kind>/   each registered kind's folders (targets.kinds.template_dirs); the
            compose kind reads the top-level nginx/ and compose/ folders.

StrictUndefined makes a missing variable an error instead of an empty string
(`listen ;`), and autoescape stays off: these are Dockerfiles, YAML and nginx
configs, not HTML, and escaping would turn `&&` into `&amp;&amp;`. A missing
or broken template is one BuildFailed line naming the file, never a traceback.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .errors import BuildFailed
from .kinds import template_dirs

PACKAGE_DIR = Path(__file__).resolve().parent


def folders() -> dict[str, Path]:
    return {"build": PACKAGE_DIR / "build" / "templates", "engine": PACKAGE_DIR / "engine" / "templates",
            "services": PACKAGE_DIR / "services" / "templates", **template_dirs()}


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (keyed by each template's source), so a
    no-op build does not compile a dozen templates again: about 0.2 s."""
    folder = Path(tempfile.gettempdir()) / f"flaskship-jinja-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.stat().st_uid != os.getuid():  # someone else's: never load their bytecode
            return None
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.PrefixLoader({prefix: jinja2.FileSystemLoader(path) for prefix, path in folders().items()}),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = lambda value: json.dumps(value, sort_keys=True)
    return env


def where(template: str) -> str:
    """The file a template name points at, for error messages."""
    prefix, _, rest = template.partition("/")
    folder = folders().get(prefix)
    return str(folder / rest) if folder else f"{template} (no template folder '{prefix}/')"


def load(template: str) -> jinja2.Template:
    try:
        return environment().get_template(template)
    except jinja2.TemplateNotFound as exc:
        missing = exc.name if exc.name != template else template
        raise BuildFailed(f"template {where(missing)} is missing; restore it from git "
                          f"(`git checkout -- {where(missing)}`)") from None
    except jinja2.TemplateSyntaxError as exc:
        raise BuildFailed(f"template {exc.filename or where(template)} line {exc.lineno}: {exc.message}") from None


def render(template: str, **context: Any) -> str:
    try:
        return load(template).render(**context)
    except jinja2.UndefinedError as exc:
        raise BuildFailed(f"template {where(template)}: {exc} (a template bug: it uses a value nobody passed)") from None
    except jinja2.TemplateNotFound as exc:  # an {% extends %} or {% include %} target
        raise BuildFailed(f"template {where(exc.name or template)} is missing (needed by {where(template)})") from None


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
