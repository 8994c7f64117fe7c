"""The checks behind invoke doctor: each returns (state, topic, text, fix) tuples."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ..engine import base_images as bases
from ..engine import docker_client, standin_python
from ..errors import FlaskshipError
from ..manifest import Project

Found = tuple[str, str, str, str]
MIN_FREE = 2 * 10**9  # a cold build of every kind needs about 1 GB of images and caches
LOW_FREE = 10 * 10**9


def engine() -> Found:
    where = docker_client.endpoint_description()
    try:
        version = docker_client.client().version()
    except FlaskshipError as exc:
        return ("fail", "engine", exc.message.split("; ")[0],
                "start it (bin/setup, or `dockerd &` as root), or point DOCKER_HOST or `docker context use` at one")
    return ("ok", "engine", f"Docker Engine {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}, "
            f"{version.get('Os', '?')}/{version.get('Arch', '?')}) at {where}", "")


def compose() -> Found:
    from ..kinds.compose import cli as compose_cli
    try:
        command = compose_cli.command()
    except FlaskshipError as exc:
        return "fail", "compose", "neither `docker compose` (v2) nor `docker-compose` (v1) works", exc.message
    # Asked as smoke and `invoke up` run it, so the line says what they will use.
    switch = compose_cli.program_env()
    line = version_of([*command, "version"], env=compose_cli.environment(dict(os.environ))) or "?"
    generation = "v2" if command[:2] == ("docker", "compose") else "v1"
    started = "".join(f"; started with {name}={value}" for name, value in sorted(switch.items()))
    return "ok", "compose", f"{' '.join(command)} ({generation}): {line}{started}", ""


def _python_bases(project: Project) -> list[str]:
    manifest = project.manifest
    return sorted({t.base_image or manifest.base_image() for t in manifest.targets.values()})


def base_images(project: Project) -> list[Found]:
    refs = _python_bases(project)
    if any(t.kind == "compose" for t in project.manifest.targets.values()):
        refs.append(project.manifest.defaults.nginx_image)
    found: list[Found] = []
    for ref in refs:
        if bases.exists(ref):
            found.append(("ok", "base image", f"{ref}: present", ""))
            continue
        reason = pullable(ref)
        if reason is None:
            found.append(("ok", "base image", f"{ref}: pullable (the first build pulls it)", ""))
        elif bases.exists(bases.standin_ref(ref)):
            found.append(("warn", "base image", f"{ref}: not pullable here; local stand-in {bases.standin_ref(ref)} is used",
                          "fine for build and smoke; publish refuses such images unless --allow-standin"))
        else:
            found.append(("fail", "base image", f"{ref}: not present, not pullable ({reason}), no stand-in",
                          "run `invoke base-images`, or set base_image in targets.yaml"))
    return found


def pullable(ref: str) -> str | None:
    """None if the registry has `ref` (asked without pulling it), else why not."""
    try:
        docker_client.client().images.get_registry_data(ref)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: cannot be pulled from here
        return str(getattr(exc, "explanation", None) or exc).splitlines()[0][:120]


def python_matches(project: Project) -> list[Found]:
    """Each base image's Python against targets.yaml, and against the wheels of the last build."""
    found: list[Found] = []
    wanted = project.manifest.defaults.python
    for ref in _python_bases(project):
        image = ref if bases.exists(ref) else bases.standin_ref(ref)
        if not bases.exists(image):
            continue
        try:
            python = bases.probe(image).python
        except FlaskshipError as exc:
            found.append(("fail", "python", exc.message, "use a base image with python3"))
            continue
        if python != wanted:
            rebuild = standin_python.rebuild_hint(ref, python) if image != ref else None
            found.append(("warn", "python", f"{image} has Python {python}; defaults.python is {wanted}",
                          rebuild or "wheels are resolved for the image's own Python, so this builds; set "
                          f"defaults.python to {python!r}, or use a base with {wanted}"))
        else:
            found.append(("ok", "python", f"{image} has Python {python}, as defaults.python says", ""))
        for name, wheels in _built_wheels(project, ref):
            stale = sorted({wheel.name.split("-")[-3] for wheel in wheels if not _runs_on(wheel.name, python)})
            if stale:
                found.append(("fail", "wheelhouse", f"build/{name} has wheels for {', '.join(stale)}, its base has Python {python}",
                              f"rebuild: `invoke build --target {name}`"))
    return found


def _built_wheels(project: Project, ref: str) -> list[tuple[str, list[Path]]]:
    out = []
    for name, settings in project.manifest.targets.items():
        if (settings.base_image or project.manifest.base_image()) != ref:
            continue
        wheels = [wheel for wheel in (project.build_dir / name).glob("**/wheels/*.whl") if zipfile.is_zipfile(wheel)]
        if wheels:
            out.append((name, wheels))
    return out


def _runs_on(filename: str, python: str) -> bool:
    """Whether a wheel's interpreter and ABI tags are among those pip takes on CPython `python`
    (major.minor): its own cpXY, a pure pyX, a stable-ABI (abi3) build for cpXY or older
    (flask-shop's pycryptodome cp35-abi3 runs on 3.12). The platform is the build's to pick."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return True  # not ours to judge: pip would say
    version = (int(python.split(".")[0]), int(python.split(".")[1]))
    fits = {(tag.interpreter, tag.abi) for tag in (*cpython_tags(version, platforms=["any"]),
                                                    *compatible_tags(version, f"cp{version[0]}{version[1]}",
                                                                     platforms=["any"]))}
    return any((tag.interpreter, tag.abi) in fits for tag in tags)


def disk(project: Project) -> list[Found]:
    found: list[Found] = []
    places = {"build/": project.root}
    try:
        root = str(docker_client.client().info().get("DockerRootDir", ""))
        if root and Path(root).exists() and docker_client.is_local():
            places["engine data"] = Path(root)
    except FlaskshipError:
        pass
    for label, path in places.items():
        free = shutil.disk_usage(path).free
        text = f"{label} ({path}): {free / 1e9:.1f} GB free"
        if free < MIN_FREE:
            found.append(("fail", "disk", text, "free at least 2 GB: `invoke clean` removes this project's old images and build/"))
        elif free < LOW_FREE:
            found.append(("warn", "disk", text, "`invoke clean` removes this project's superseded images"))
        else:
            found.append(("ok", "disk", text, ""))
    return found


def firebase(project: Project) -> list[Found]:
    """Node and firebase-tools deploy the Hosting side of a cloudrun target (`firebase deploy`)."""
    if not any(t.kind == "cloudrun" for t in project.manifest.targets.values()):
        return []
    node = version_of(["node", "--version"])
    tools = version_of(["firebase", "--version"])
    if node is None:
        return [("warn", "firebase", "node is not installed: cloudrun's Hosting cannot be deployed from here",
                 "install Node.js (Debian: apt-get install nodejs npm), then `npm install -g firebase-tools`")]
    if tools is None:
        return [("warn", "firebase", f"node {node}, but no firebase-tools: cloudrun's Hosting cannot be deployed from here",
                 "npm install -g firebase-tools")]
    return [("ok", "firebase", f"node {node}, firebase-tools {tools}", "")]


def credentials(project: Project) -> list[Found]:
    """The publish credential variables, by name only: never a value, never its length."""
    present: list[str] = []
    missing: list[str] = []
    for name, settings in sorted(project.manifest.targets.items()):
        auth = settings.credentials()
        names = [n for n in ((auth.username_env, auth.password_env) if auth else ()) if n]
        token = getattr(settings, "token_env", None)
        names += [token] if token else []
        for variable in names:
            (present if os.environ.get(variable) else missing).append(f"${variable} ({name})")
    found: list[Found] = []
    if present:
        found.append(("ok", "credentials", f"set: {', '.join(present)}", ""))
    if missing:
        found.append(("warn", "credentials", f"not set (needed only to publish): {', '.join(missing)}",
                      "export them in the shell, or as secrets of the CI job that runs `invoke publish`"))
    return found


def version_of(command: list[str], env: dict[str, str] | None = None) -> str | None:
    """The first line a tool prints for its version, or None if it is not installed or fails."""
    if shutil.which(command[0]) is None:
        return None
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if result.returncode == 0 and lines else None
