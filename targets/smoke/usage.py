"""Whether the app used the services it was given: how often each one was reached over a
target's smoke (its release step and every way it ran), read from the service itself.

An app that reads another variable than the ones it is given falls back on its own
default (SQLite beside its code, a cache in memory) and passes every check anyway:
CTFd's config read TESTING_DATABASE_URL only in its test class, and three of its four
targets passed on SQLite beside a MariaDB nobody used; its uploads go to S3 only with
UPLOAD_PROVIDER=s3, and without it a wired S3 sat idle. Counting is how that shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ui.lines import notice

if TYPE_CHECKING:
    from .session import SmokeRun


def before(run: SmokeRun, target: str) -> dict[str, int]:
    """The counts to measure this target's use from (services outlive targets)."""
    return run.services.uses(run.service_names(target))


def tell(run: SmokeRun, target: str, since: dict[str, int], passed: bool) -> None:
    """Record each service's use by this target, and warn of one it never used when
    everything else passed (when something failed, that failure is the news)."""
    now = run.services.uses(since)
    used = {name: now[name] - since[name] for name in since if name in now}
    run.used[target] = used
    for name, count in used.items():
        instance = run.services.instances[name]
        kind, unit = instance.settings.kind, instance.kind.unit
        given = ", ".join(sorted(instance.settings.env)) or "no variable"
        if count or not passed:
            run.progress(f"  {target} [services] {name} ({kind}): {count} {unit} from the app")
            if not count:
                # zou was given DATABASE_URL and REDIS_URL, read DB_HOST and KV_HOST, and failed at
                # boot waiting on localhost: the count is the clue, and it was only a count.
                notice(run.progress, f"  warning: {target} failed, and service {name} ({kind}) was never reached "
                       f"(given {given}): {unreached([name])}", ("unreached-service", name))
            continue
        # Said once per service: every target of one app is told the same variables, and dribdat's
        # unused S3 gave the same long line for each of its four targets.
        notice(run.progress,
               f"  warning: service {name} ({kind}) was never used: no {unit} from the app in {target}'s release "
               f"step or checks, though it was given {given}. An app that reads another variable, or needs one set "
               "to choose this service, runs on its own default (SQLite, a cache in memory, files on disk) and "
               f"passes anyway: name its variable under services.{name}.env, or set the switch under "
               f"environments.{run.env_name}.env in targets.yaml", ("unused-service", name))


def unreached(names: list[str]) -> str:
    """What to do about services a failed target never reached."""
    where = " and ".join(f"services.{name}.env" for name in names)
    return (f"an app that reads other variables (a URL by another name, its own host and port ones) looks for "
            f"its server at its default instead; name them under {where} in targets.yaml")


def unreached_note(run: SmokeRun, target: str) -> str:
    """For the failure's line: the services `target` never reached, and what to do."""
    never = [name for name, count in run.used.get(target, {}).items() if not count and name in run.services.instances]
    shown = ", ".join(f"{name} ({run.services.instances[name].settings.kind})" for name in never)
    return f"; note: it never reached {shown}: {unreached(never)}" if never else ""
