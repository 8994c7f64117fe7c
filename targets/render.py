"""The one Jinja2 environment, and atomic replacement of build/<target>/.

StrictUndefined makes a missing variable an error instead of an empty string
(`listen ;`), and autoescape stays off: these are Dockerfiles, YAML and nginx
configs, not HTML, and escaping would turn `&&` into `&amp;&amp;`.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2

from .errors import BuildFailed

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def _environment() -> jinja2.Environment:
    # Each kind's templates live in targets/<kind>/templates and are addressed
    # as "<kind>/<file>"; "common/" holds what several kinds share, and the
    # compose kind also reads the top-level nginx/ and compose/ folders.
    loaders: dict[str, jinja2.BaseLoader] = {
        path.parent.name: jinja2.FileSystemLoader(path)
        for path in sorted(PACKAGE_DIR.glob("*/templates"))
    }
    for folder in ("nginx", "compose"):
        if (PROJECT_DIR / folder).is_dir():
            loaders[folder] = jinja2.FileSystemLoader(PROJECT_DIR / folder)
    env = jinja2.Environment(
        loader=jinja2.PrefixLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = lambda value: json.dumps(value, sort_keys=True)
    return env


ENV = _environment()


def render(template: str, **context: Any) -> str:
    try:
        return ENV.get_template(template).render(**context)
    except jinja2.UndefinedError as exc:
        raise BuildFailed(f"template {template}: {exc} (a template bug: it uses a value nobody passed)") from None


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """Yield an empty sibling folder; on success it replaces `final` whole.

    On any failure the staging folder is removed and `final` (the last good
    build) is left exactly as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{final.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
        retired = final.parent / f".retired-{final.name}-{uuid.uuid4().hex[:8]}"
        if final.exists():
            final.rename(retired)
        staging.rename(final)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
