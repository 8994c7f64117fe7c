"""invoke up --target X: run one built target the way its platform runs it, and keep it running.

It prints the URL, follows the logs until Ctrl-C (or SIGTERM), then removes
everything it started. The run is a stack of context managers around a
Session, so more can be layered on without touching the runners:

  BACKING  started first, torn down last: backing services (postgres, redis, s3)
           that add their variables to session.env before the app starts;
  RUNNERS  one per kind (up_runners.py): the app itself; sets session.url and
           session.follow (what streams its logs);
  FRONTS   per kind, started after the app: a front that serves in its place
           (the local Firebase Hosting edge for cloudrun) and replaces session.url.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from ..errors import SmokeFailed
from ..manifest import Project
from . import up_layers
from .up_runners import RUNNERS
from .up_session import Layer, session

BACKING: list[Layer] = [up_layers.services]
FRONTS: dict[str, Layer] = {"cloudrun": up_layers.hosting_edge}


def up(project: Project, name: str, env: str | None, progress: Callable[[str], None] = print) -> None:
    run = session(project, name, env, progress)
    with ExitStack() as stack:
        for layer in BACKING:
            stack.enter_context(layer(run))
        stack.enter_context(RUNNERS[run.settings.kind](run))
        front = FRONTS.get(run.settings.kind)
        if front is not None:
            stack.enter_context(front(run))
        progress(f"{name}: up at {run.url} (env {run.env_name}); following its logs, Ctrl-C stops it")
        try:
            for line in run.follow():
                progress(line)
        except KeyboardInterrupt:
            progress(f"{name}: stopping ...")
        else:
            raise SmokeFailed(f"{name}: stopped by itself; its last log lines are above")
        finally:
            stack.close()
            progress(f"{name}: stopped; everything `up` started has been removed")
