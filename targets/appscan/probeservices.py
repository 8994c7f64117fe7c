"""The services init's probe runs the app with: those the app's code and venv point to, on loopback.

zou's create_app() reads its config from Redis, and its client retried each read with backoff:
without a server the import took 63 s, past the probe's limit, and init failed until a Redis was
run by hand and named with --env. The services found before the probe (from the venv's
distributions and the app's source, as init's manifest will list them) are started as smoke
starts them, published on loopback ports, and the probe gets the variables the app reads, with
this machine's address. Their data is thrown away with them. Where they cannot start (no engine,
no image), the probe runs without them, and init says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FlaskshipError
from ..services import SERVICES
from . import services as backing

if TYPE_CHECKING:
    from ..services.live import Instance


def installed(venv: Path) -> list[str]:
    """The distributions in the probe's venv, by their dist-info folders' names."""
    return sorted({folder.name.split("-")[0] for folder in venv.glob("lib/python*/site-packages/*.dist-info")})


@contextmanager
def running(found: list[backing.Service], base_image: str, cache: Path,
            progress: Callable[[str], None]) -> Iterator[dict[str, str]]:
    """The variables that reach `found` from this machine, while they run; {} where none could start."""
    if not found:
        yield {}
        return
    declared = {s.name: SERVICES[s.kind].settings.model_validate({"kind": s.kind, "env": s.env, **s.settings})
                for s in found}
    from ..services import live  # the Docker SDK only where a service is started

    progress(f"init: starting {', '.join(f'{s.name} ({s.kind})' for s in found)} for the probe ...")
    with ExitStack() as stack:
        try:
            started = stack.enter_context(live.started(declared, base_image, cache,
                                                       lambda line: progress("  " + line.strip())))
        except FlaskshipError as exc:
            progress(f"  note: the probe runs without its services: {exc.message}")
            started = None
        yield reached(started.instances) if started else {}


def reached(instances: Mapping[str, Instance]) -> dict[str, str]:
    """Each variable the app reads for a service that answered, with the field's value from here."""
    env: dict[str, str] = {}
    for instance in instances.values():
        if instance.error:
            continue
        fields = instance.local()
        env.update({variable: fields[field] for variable, field in instance.settings.env.items()})
    return env
