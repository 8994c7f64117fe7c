"""Run probe.py in the throwaway venv: cwd = the app folder, a bounded time, a minimal environment.

The environment holds PATH, a throwaway HOME and TMPDIR, and a UTF-8 locale;
no host variable the app could read a secret or a FLASK_* setting from.
`-I` keeps the probe's own folder off sys.path (no module of flaskship can
shadow one of the app's) and `-B` writes no __pycache__ into the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .errors import InitError
from .sandbox import python_of

PROBE = Path(__file__).with_name("probe.py")
TIMEOUT = 60


def run(venv: Path, app_dir: Path, entry: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """What the probe saw of `entry`; one-line InitError if it is no Flask app or the probe fails."""
    with tempfile.TemporaryDirectory(prefix="flaskship-probe-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": home, "TMPDIR": home,
               "LANG": "C.UTF-8"}
        try:
            proc = subprocess.run([str(python_of(venv)), "-I", "-B", str(PROBE), entry], cwd=app_dir, env=env,
                                  capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise InitError(f"{entry}: the probe did not finish within {timeout:.0f} s (importing the app or one of "
                            "its GET routes hangs?); name the entry with --entry, or fix what blocks") from None
    tail = "\n".join(proc.stderr.splitlines()[-20:])
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    if proc.returncode != 0 or not isinstance(result, dict):
        raise InitError(f"{entry}: the probe failed (exit status {proc.returncode}); its output is above", detail=tail)
    if "error" in result:
        raise InitError(f"{app_dir.name}: {result['error']}; fix it, or name the app with --entry module:attr")
    return result
