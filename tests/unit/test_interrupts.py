"""A Ctrl-C that lands in a finalizer is not lost: the run is interrupted all the same."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import REPO

# The main thread blocks in a read that gets no data, as `invoke up` does on an idle
# container's log; the SIGINT's KeyboardInterrupt was raised inside a __del__, where Python
# only prints it (sys.unraisablehook). CI's `up` test then waited 120 s for an exit.
PROGRAM = textwrap.dedent(f"""
    import os, signal, socket, sys, time
    sys.path.insert(0, {str(REPO)!r})
    from invoke.exceptions import Exit
    from targets.cli import guarded

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # lands while the finalizer runs
            time.sleep(0.2)

    quiet, _ = socket.socketpair()
    try:
        with guarded():
            Finalized()  # dropped at once: __del__ runs here
            print("reading", flush=True)
            quiet.recv(1)
            print("the read returned", flush=True)
    except Exit as exc:  # as invoke's Program ends the run
        print(exc.message, file=sys.stderr)
        sys.exit(exc.code)
""")


def test_an_interrupt_lost_in_a_finalizer_is_sent_again_to_the_blocked_main_thread() -> None:
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=30)
    assert "reading" in result.stdout and "the read returned" not in result.stdout, result.stdout
    assert result.returncode == 130, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "interrupted" in result.stderr, result.stderr


# Ctrl-C lands while a container starts; the clean-up removes it, and the start, still waiting
# on the engine, fails on its 404 (an OSError, as requests' errors are). CI's Ctrl-C test saw
# "error: 404 Client Error ... No such container" and exit 1.
CUT_SHORT = textwrap.dedent(f"""
    import os, signal, sys, time
    sys.path.insert(0, {str(REPO)!r})
    from invoke.exceptions import Exit
    from targets.cli import guarded

    try:
        with guarded():
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
            finally:
                raise OSError(2, "404 Client Error: No such container")
    except Exit as exc:
        print(exc.message, file=sys.stderr)
        sys.exit(exc.code)
""")


def test_what_an_interrupt_cut_short_failing_on_its_way_out_is_still_an_interrupt() -> None:
    result = subprocess.run([sys.executable, "-c", CUT_SHORT], capture_output=True, text=True, timeout=30)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == "interrupted; everything this run started has been removed", result.stderr
