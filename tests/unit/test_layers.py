"""The package's layers import one way, and the manifest is pure data.

The graph is read from the source (every import statement, TYPE_CHECKING
blocks included), so a cycle cannot hide behind a guard.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

PACKAGE = REPO / "targets"
# Lowest first. A module may import its own layer or any layer below it.
LAYERS = [
    ("data", ("targets.errors", "targets.fields", "targets.pins", "targets.debian", "targets.kinds",
              "targets.kinds.base",
              "targets.kinds.*.settings", "targets.manifest", "targets.manifest.*",
              "targets.services", "targets.services.settings")),
    # What a person sees: markers on progress lines, and the reporter (imports only rich).
    ("ui", ("targets.ui", "targets.ui.*")),
    ("files", ("targets.files", "targets.hostpython", "targets.once", "targets.records", "targets.templates",
               "targets.trim", "targets.wheel_index")),
    ("engine", ("targets.engine", "targets.engine.*")),
    # Backing services (postgres, redis, s3): started, reset and wired for smoke and up.
    ("services", ("targets.services.*",)),
    ("shared", ("targets.build", "targets.build.*", "targets.smoke", "targets.smoke.*", "targets.publish",
                "targets.publish.*", "targets.report", "targets.report.*")),
    ("kinds", ("targets.kinds.protocol", "targets.kinds.container", "targets.kinds.*", "targets.kinds.*.*",
               "targets.kinds.*.*.*")),
    # invoke init's detection: runs subprocesses (venv, pip, the probe), never Docker.
    ("appscan", ("targets.appscan", "targets.appscan.*")),
    ("commands", ("targets.commands", "targets.commands.*", "targets.cli", "targets", "targets.tasks")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.add(candidate if (REPO / candidate.replace(".", "/")).with_suffix(".py").exists()
                          or (REPO / candidate.replace(".", "/") / "__init__.py").exists() else module)
    return {m for m in found if m == "targets" or m.startswith("targets.")}


def graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> int:
    depth = module.count(".")
    for index, (_, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            parts = pattern.split(".")
            if len(parts) == depth + 1 and all(p in ("*", m) for p, m in zip(parts, module.split("."), strict=True)):
                return index
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])


def test_no_upward_imports() -> None:
    upward = [f"{src} ({LAYERS[_layer(src)][0]}) -> {dst} ({LAYERS[_layer(dst)][0]})"
              for src, targets in graph().items() for dst in targets if _layer(dst) > _layer(src)]
    assert upward == []


def test_the_manifest_loads_no_docker_http_or_templates() -> None:
    code = ("import sys; import targets.manifest as m; m.load('targets.yaml'); "
            "print(sorted(x for x in ('docker', 'requests', 'jinja2', 'targets.engine') if x in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
