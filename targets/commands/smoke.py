"""invoke smoke: run each built target as its platform would, check, report parity."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict

from .. import records
from ..build import manifest_slice
from ..engine import docker_client
from ..errors import RecordError, SmokeFailed
from ..kinds import KINDS, TargetSettings
from ..kinds.protocol import behaviour
from ..manifest import Project
from ..records import BuildRecord
from ..services import live as services
from ..smoke import hints, parity, repeats, same_run, usage
from ..smoke.report import Result, matrix, passed
from ..smoke.session import SmokeRun
from ..ui.progress import Reporter
from .fanout import default_jobs, raise_first, run_each

REPORT = records.SMOKE_REPORT


def smoke(project: Project, target: str | list[str], env: str | None, report: Reporter | None = None, *,
          force: bool = False, jobs: int | None = None) -> SmokeRun:
    """Smoke the selected targets, `jobs` at a time (default: one more than the cores); then parity,
    the matrix and build/smoke.json, written once, by this thread, for every target."""
    started = time.monotonic()
    selected = project.select(target)
    env_name, _ = project.environment(env)
    with nullcontext(report) if report is not None else Reporter() as shown:
        assert shown is not None
        run = SmokeRun(project, env_name, shown, cancel=shown.cancel)
        previous = read_report(project, shown)["targets"]
        # Refuse before anything runs: a stale target would be smoked against the wrong manifest,
        # one whose image is gone would fail (or pass from the cache) without saying why.
        built = _in_engine(project, [name for name, _ in selected])
        for name, _ in selected:
            shown.target(name)
        used = {s for name, _ in selected for s in project.manifest.services_of(name)}
        # Targets that use services share one instance of each, reset between them:
        # one target at a time then, or they would see each other's writes.
        # Otherwise one more than the cores: a target's thread spends much of its smoke
        # waiting (on a boot, a stop after SIGTERM), not running. 16 targets on 2 cores:
        # 14.2-15.7 s with 2 at a time, 10.9-12.6 s with 3, 9.9-11.6 s with 4.
        width = 1 if used else jobs or default_jobs() + 1
        kinds = dict(selected)  # the longest smokes start first, when there are lanes to choose
        # Copies of a target (the same layers, settings and checks; another registry) take its verdict.
        # Not with shared state, where a verdict depends on the targets smoked before it.
        copies = {} if _shares_state(project) else same_run.originals(built, lambda record: _alike(run, record))
        with services.running(project, used, shown) as run.services:
            runs = run_each({name: (lambda name=name, settings=settings: _smoke_target(
                run, built[name], settings, previous.get(name), force, shown))
                for name, settings in selected if name not in copies},
                width, shown, first=lambda name: KINDS[kinds[name].kind].smoke_work)
        for name, source in copies.items():
            runs[name] = same_run.taken(runs[source], source, name, shown.target(name))
            checks = {r.check for r in runs[name].results}
            failed = {r.check for r in runs[name].results if r.status == "fail"}
            shown.finish(name, f"built and run as {source} is, but for its name: {source}'s run stands for it "
                         f"({len(checks)} checks" + (f", {len(failed)} failed)" if failed else " passed)"), ok=not failed)
        for name, _ in selected:  # in target order, however the threads finished
            run.results.extend(runs[name].results)
            run.logs.update(runs[name].logs)
            run.cached |= runs[name].cached
            run.used.update(runs[name].used)
            run.same_as.update(runs[name].same_as)
        _parity_and_report(run, selected, built, time.monotonic() - started, shown)
    return run


def _smoke_target(parent: SmokeRun, record: BuildRecord, settings: TargetSettings, previous: dict | None,
                  force: bool, report: Reporter) -> SmokeRun:
    """One target, on its own thread: a cached pass, or its kind's smoke; never raises SmokeFailed."""
    name = record.target
    run = parent.fork(report.target(name))
    # With shared state (smoke.reset: run) a verdict depends on the other targets: never cached.
    if not force and _passed_with(previous, cache_key(record, run)) and not _shares_state(run.project):
        assert previous is not None
        run.results.extend(Result(**r) for r in previous["results"] if r["variant"] != parity.VARIANT)
        run.cached.add(name)
        run.used[name] = previous.get("services_used", {})
        report.finish(name, "passed before with these very inputs, checks and env (cached; --force reruns it)")
        return run
    started = time.monotonic()
    report.phase(name, f"smoke ({settings.kind}, env {run.env_name})", since=started)
    since: dict[str, int] = {}
    try:
        run.begin(name)
        since = usage.before(run, name)
        behaviour(settings.kind).smoke(record, run)
    except SmokeFailed as exc:
        # An infrastructure failure (the engine refused a container, compose
        # failed, a service is down) fails this target with the reason; the others still run.
        run.record(name, "infrastructure", "start", False, "the platform's runtime starts", exc.message)
        if exc.detail:
            run.logs[f"{name} [infrastructure]"] = exc.detail
    _services_lasted(run, name)
    usage.tell(run, name, since, passed(run.results, name))
    # Counted as the matrix counts them: a check once, however many ways the platform runs
    # the target (cloudrun's 21 checks were "63 checks passed" here, 21/21 in the table).
    checks = {r.check for r in run.results}
    failed = len({r.check for r in run.results if r.status == "fail"})
    took = f" in {time.monotonic() - started:.1f} s"
    ways = len({r.variant for r in run.results})
    counted = f"{len(checks)} checks" + (f" ({len(run.results)} results, {ways} ways run)" if ways > 1 else "")
    report.finish(name, (f"{counted}, {failed} failed" if failed else f"{counted} passed") + took, ok=not failed)
    return run


def _in_engine(project: Project, names: list[str]) -> dict[str, BuildRecord]:
    """Each target's build record, once every image it names is in the engine (which must be
    up) under its tag, as built: a run (compose starts the tag), or a cached pass, is about
    those very images, which publish then pushes. Else SmokeFailed for the first, with the
    others' lines on it for the summary (fanout.raise_first)."""
    records = {name: manifest_slice.refuse_stale(project, name) for name in names}
    raise_first({name: SmokeFailed(f"{name}: its image {entry['ref']} ({str(entry['id'])[:19]}) is not in the engine "
                                   f"as built (removed or retagged since, or another engine); run "
                                   f"`invoke build --target {name}`")
                 for name, record in records.items() for entry in record.images.values()
                 if docker_client.tagged_id(str(entry["ref"])) != entry["id"]})
    return records


def _services_lasted(run: SmokeRun, name: str) -> None:
    """A service that stopped under this target's checks is why they failed: its
    verdict goes first, so the run's last line names the service, not a symptom."""
    try:
        run.services.check(run.service_names(name))
    except SmokeFailed as exc:
        said = [r for r in run.results if r.got == run.scrub(exc.message)]  # a later variant may have found it
        if not said:
            run.record(name, "services", "still-running", False, "its services keep running through its checks",
                       exc.message)
            said = [run.results[-1]]
            if exc.detail:
                run.logs[f"{name} [services]"] = exc.detail
        run.results.remove(said[0])
        run.results.insert(0, said[0])


def _parity_and_report(run: SmokeRun, selected: list[tuple[str, TargetSettings]], built: dict[str, BuildRecord],
                       seconds: float, report: Reporter) -> None:
    differences = {name: behaviour(settings.kind).differences for name, settings in selected}
    for result in parity.compare(run.results, differences):
        run.results.append(result)
        mark = "FAIL" if result.status == "fail" else "differs by platform"
        report.print(f"  {result.target} [parity] {result.check}: {mark} (expected {result.expected}; got {result.got})")
    report.print("")
    report.print(matrix(run.results, seconds))
    write_report(run.project, run, built)
    failed = [r for r in run.results if r.status == "fail"]
    if failed:
        # Each traceback in full once: every variant and target logs the same failure.
        for where, logs in repeats.folded(run.logs).items():
            report.print(run.scrub(f"--- last log lines of {where} ---\n{logs.rstrip()}"))
        # The failure that says why before the first in order: a server that exited under its
        # checks explains the ConnectionErrors of every check before it (flaskbb's dying workers).
        first = next((r for r in failed if r.check == "still-running"), failed[0])
        released = any(r.target == first.target and r.check == "release" and r.status == "pass" for r in run.results)
        # The release note only where the failure shows missing state: realworld's check failed on
        # a 404 an edge cache had kept, and the note sent its reader to the release instead.
        shown = first.got + "".join(text for where, text in run.logs.items() if where.startswith(first.target))
        # Counted as the matrix counts them, a target and check once however many ways its platform
        # runs it: ihatemoney's line said 47 where the matrix under it said 46.
        cells = len({(r.target, r.check) for r in failed})
        ways = f" ({len(failed)} counting each way a platform runs them)" if len(failed) != cells else ""
        raise SmokeFailed(
            f"smoke failed: {cells} check(s) failed{ways}, first {first.target} [{first.variant}] {first.check}: "
            f"expected {first.expected}; got {first.got} (see build/{REPORT})"
            # Unless the line has a note already (the boot's own: hints.boot).
            + ("" if hints.NOTE in first.got else hints.unshipped(shown) or (
                hints.RELEASE if released and first.check != "release" and first.variant not in
                ("infrastructure", "services") and hints.state_missing(shown) else ""))
            + usage.unreached_note(run, first.target)
        )


def cache_key(record: BuildRecord, run: SmokeRun) -> str:
    """What a verdict depends on: the build (its key and files), and the rest of _verdict_parts."""
    parts = [record.key, record.inputs, *_verdict_parts(run, record.target)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _alike(run: SmokeRun, record: BuildRecord) -> list[str]:
    """What two targets whose images are alike (smoke/same_run.py) must also share for one run to
    stand for both: their slices of targets.yaml apart from their names, and the rest of a verdict's inputs."""
    return [manifest_slice.digest(run.project, record.target, as_name=same_run.ANY_NAME),
            *_verdict_parts(run, record.target)]


def _verdict_parts(run: SmokeRun, target: str) -> list[str]:
    """Besides the build: the environment, the suite itself (checks, health path, the static file's
    bytes) and the target's services as declared."""
    suite = run.suite
    return [run.env_name, json.dumps(dict(suite.env), sort_keys=True), suite.health,
            json.dumps([c.model_dump(mode="json") for c in suite.checks], sort_keys=True), str(suite.static_url),
            hashlib.sha256(suite.static_bytes).hexdigest(), json.dumps(run.project.manifest.smoke.url_echo),
            _services_key(run.project, target)]


def _services_key(project: Project, target: str) -> str:
    """The services a target uses, as declared (credentials are per run, so not part of it)."""
    return json.dumps({n: s.model_dump(mode="json") for n, s in project.manifest.services_of(target).items()},
                      sort_keys=True)


def _shares_state(project: Project) -> bool:
    return project.manifest.smoke.reset == "run" and bool(project.manifest.services)


def _passed_with(entry: dict | None, key: str) -> bool:
    # A record without a key (never keyed, or an older one) is never a cached pass.
    return bool(entry and entry.get("passed") and entry.get("cache_key") == key and key and entry.get("results"))


def read_report(project: Project, progress: Callable[[str], None]) -> dict:
    """Earlier results, for cached passes; an unreadable report just means none."""
    try:
        return records.load_smoke(project.build_dir)
    except RecordError as exc:
        progress(f"note: {exc.message.split(';')[0]}; no earlier result is reused")
        return {"targets": {}}


def write_report(project: Project, run: SmokeRun, built: dict[str, BuildRecord]) -> None:
    entries = {}
    for name, record in built.items():
        entries[name] = {
            "passed": passed(run.results, name),
            "env": run.env_name,
            "inputs": record.inputs,
            "images": record.images,
            "archives": record.archives,
            "results": [asdict(r) for r in run.results if r.target == name],
            "cache_key": cache_key(record, run),
            # Whether this run reused the verdict: a rerun can give the very same results.
            "cached": name in run.cached,
            # The target whose run in this smoke stands for this one's (smoke/same_run.py), if any.
            "same_as": run.same_as.get(name),
            # How often the app reached each of its services (a cached pass: as it was then).
            "services_used": run.used.get(name, {}),
        }
    # This run's services: what ran them and how long each took to answer (no credentials).
    services = {name: {"kind": i.settings.kind, "image": i.image, "ready_seconds": round(i.seconds, 2),
                       "error": i.error} for name, i in run.services.instances.items()}
    # Merged under a lock: a smoke running at the same time keeps its targets too.
    for note in records.merge_smoke(project.build_dir, entries, {"services": services}):
        run.progress(note)
