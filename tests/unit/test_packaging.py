"""pyproject.toml ships every package and template folder of targets/, and pins what it declares."""

from __future__ import annotations

import re
import tomllib

from tests.helpers import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_package_and_template_folder_is_listed() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    folders = {p.parent for p in (REPO / "targets").rglob("*") if p.suffix in (".py", ".j2")
               and "__pycache__" not in p.parts}
    needed = {".".join(f.relative_to(REPO).parts) for f in folders}
    assert needed - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    mapped = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert {mapped[p] for p in listed - needed} == {"compose", "nginx"}


def test_every_runtime_dependency_is_pinned_in_the_constraints() -> None:
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (REPO / "constraints.txt").read_text(), re.M))
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = re.split(r"[<>=!~ \[;]", requirement)[0].lower()
        assert name in pins, f"{name} is not pinned in constraints.txt"
    # The same versions the tests run with.
    dev = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (REPO / "requirements-dev.txt").read_text(), re.M))
    for name, version in dev.items():
        if name.lower() in pins:
            assert pins[name.lower()] == version, f"{name}: constraints.txt {pins[name.lower()]}, requirements-dev.txt {version}"
