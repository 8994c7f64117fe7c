"""The generated entry module: which file it is, and its text.

Cloud Functions' Python runtime imports main.py unless the build-time variable
GOOGLE_FUNCTION_SOURCE names another file, and functions-framework takes the
same as `--source FILE`. An app whose own module is `main` keeps its main.py,
and the entry is written beside it as ENTRY_FALLBACK instead.
"""

from __future__ import annotations

from collections.abc import Collection

from ...errors import BuildFailed
from ...templates import render

ENTRY_MAIN = "main.py"
# "flaskship_" is this tool's prefix, so no ordinary app module is named this.
ENTRY_FALLBACK = "flaskship_main.py"


def _defines(files: Collection[str], filename: str) -> bool:
    """The app ships a top-level module of this name: a module file or a package folder."""
    stem = filename.removesuffix(".py")
    return filename in files or any(name.startswith(stem + "/") for name in files)


def entry_file(target: str, files: Collection[str]) -> str:
    """The file the entry module is written to, given the app's files (zip names).

    A `main/` package counts as the app's own main too: functions-framework loads
    the entry into sys.modules as `main`, which would hide that package.
    """
    if not _defines(files, ENTRY_MAIN):
        return ENTRY_MAIN
    if _defines(files, ENTRY_FALLBACK):
        raise BuildFailed(f"{target}: the app has both main.py and {ENTRY_FALLBACK}, and the functions entry "
                          f"needs one of those names; rename {ENTRY_FALLBACK}")
    return ENTRY_FALLBACK


def render_entry(entry: str, entry_point: str, prestart: str | None = None) -> str:
    """The entry module's text for app.entry and the function name.

    app.entry reaches here validated by the manifest (targets/fields.py: the
    grammar of gunicorn's import_app, literal arguments only), so a factory
    call's text can be written into the module as it is.
    """
    module, _, call = entry.partition(":")
    name = call.partition("(")[0]
    return render("functions/main.py.j2", module=module, name=name,
                  call=call if "(" in call else None, entry_point=entry_point, prestart=prestart)
