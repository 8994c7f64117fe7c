"""pip on the host, as the tool runs it: to download and build wheels into its own
folders, never to install into the environment it runs from."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def env() -> dict[str, str]:
    """The user's environment (their index, proxy and certificates stay), without
    require-virtualenv: a guard for installs (the Hitchhiker's Guide to Python suggests it
    for ~/.bashrc), which also refused `pip download` from a tool not run from a virtualenv."""
    # Both names set the one option (--require-virtualenv, alias --require-venv).
    return {**os.environ, "PIP_REQUIRE_VIRTUALENV": "false", "PIP_REQUIRE_VENV": "false"}


def wheels_for(python: str, platforms: Sequence[str], dest: Path, listed: str | Path, *options: str) -> list[str]:
    """`pip download` arguments: wheels only, for `python` on `platforms` (the image's,
    not the host's), of what the requirements file `listed` names, into `dest`."""
    command = ["download", "--quiet", *options, "--only-binary=:all:", "--python-version", python,
               "--dest", str(dest), "-r", str(listed)]
    for platform in platforms:
        command += ["--platform", platform]
    return command


def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`pip <args>` with env(), its output captured as text: every host pip run goes here."""
    return subprocess.run([*PIP, *args], capture_output=True, text=True, env=env())
