"""What a setuptools project declares, read without running it: setup.cfg's [options]
and the literal keyword arguments of setup.py's setup() call.

A setup.py is code, and flaskship runs an app's code only inside init's probe. But
most state these as literals, which `ast` reads safely: zou's setup.py is
`setup(python_requires=">=3.10, <3.15")`, and init, reading only pyproject.toml and
uv.lock, took flaskship's default Python instead. A value made at run time (read
from a file, computed) stays unknown here, as before.

setuptools lets setup()'s arguments override setup.cfg's, so setup.py is read first.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

from packaging.utils import canonicalize_name

SETUP_PY = "setup.py"
SETUP_CFG = "setup.cfg"


def python_requires(app_dir: Path) -> tuple[str, str] | None:
    """(the file's name, its python_requires), setup.py's literal before setup.cfg's; None when neither says."""
    value = _setup_call(app_dir / SETUP_PY).get("python_requires")
    if isinstance(value, str) and value.strip():
        return SETUP_PY, value.strip()
    value = _cfg(app_dir / SETUP_CFG).get("options", "python_requires", fallback="").strip()
    return (SETUP_CFG, value) if value else None


def requirements(app_dir: Path, extras: str = "") -> list[tuple[str, str]]:
    """(the file's name, a requirement line) for install_requires and the extras_require groups
    `extras` names (`[prod,s3]`): each key from setup.py when it is a literal there, else setup.cfg's."""
    wanted = {canonicalize_name(group) for group in extras.strip("[]").split(",") if group.strip()}
    call = _setup_call(app_dir / SETUP_PY)
    parser = _cfg(app_dir / SETUP_CFG)
    found: list[tuple[str, str]] = []
    if "install_requires" in call:
        found += [(SETUP_PY, line) for line in _lines(call["install_requires"])]
    else:
        found += [(SETUP_CFG, line) for line in _lines(parser.get("options", "install_requires", fallback=""))]
    if isinstance(call.get("extras_require"), dict):
        groups, where = call["extras_require"], SETUP_PY
    else:
        section = "options.extras_require"
        groups = dict(parser.items(section)) if parser.has_section(section) else {}
        where = SETUP_CFG
    for group, value in groups.items():
        if isinstance(group, str) and canonicalize_name(group) in wanted:
            found += [(where, line) for line in _lines(value)]
    return found


def _lines(value: object) -> list[str]:
    """Requirement lines from a string (one per line, as setup.cfg and setup() both take) or a list of them."""
    items = value.splitlines() if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    return [line for line in (str(item).split("#", 1)[0].strip() for item in items if isinstance(item, str)) if line]


def _cfg(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        pass  # no setup.cfg, or one setuptools itself would refuse: nothing declared here
    return parser


def _setup_call(path: Path) -> dict[str, object]:
    """The keyword arguments of setup.py's setup() call whose values are literals, or module-level
    names bound once to a literal (`REQUIRES = [...]`, then `install_requires=REQUIRES`)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return {}
    bound = _literal_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_setup(node.func):
            found: dict[str, object] = {}
            for keyword in node.keywords:
                if keyword.arg is None:
                    continue  # **kwargs: what it holds is not known here
                if isinstance(keyword.value, ast.Name) and keyword.value.id in bound:
                    found[keyword.arg] = bound[keyword.value.id]
                else:
                    try:
                        found[keyword.arg] = ast.literal_eval(keyword.value)
                    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                        pass  # made at run time
            return found
    return {}


def _is_setup(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "setup") or \
        (isinstance(func, ast.Attribute) and func.attr == "setup" and isinstance(func.value, ast.Name)
         and func.value.id in ("setuptools", "distutils"))


def _literal_names(tree: ast.Module) -> dict[str, object]:
    """Module-level names assigned exactly once, to a literal; a name assigned twice is left out."""
    counts: dict[str, int] = {}
    values: dict[str, object] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            if isinstance(target, ast.Name):
                counts[target.id] = counts.get(target.id, 0) + 1
                value = getattr(node, "value", None)
                if isinstance(node, ast.AugAssign) or value is None:
                    continue
                try:
                    values[target.id] = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    pass
    return {name: value for name, value in values.items() if counts[name] == 1}
