"""A Ctrl-C that lands inside a finalizer the collector runs is not lost (targets/cli.py).

Python only prints a KeyboardInterrupt raised there ("Exception ignored in: <finalize
object>"); CI's Ctrl-C test once saw smoke run on to the end after one. A real SIGINT
to a real process, sent from inside such a finalizer."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO

SCRIPT = """
import gc, os, signal, sys, time, weakref
from invoke.exceptions import Exit
from targets.cli import guarded

class Held:
    pass

def in_finalizer():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)  # the handler runs here, inside the collector's callback

try:
    with guarded():
        held = Held()
        weakref.finalize(held, in_finalizer)
        del held
        gc.collect()
        time.sleep(3)  # the run going on: the interrupt must stop it
        print("ran to the end")
except Exit as exc:
    print("exit", exc.code)
"""


def test_an_interrupt_swallowed_by_a_finalizer_still_stops_the_run() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "exit 130", done.stdout + done.stderr
