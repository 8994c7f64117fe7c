"""The commands behind the Invoke tasks: each composes the layers below it.

  init.py     an existing Flask app -> a starting targets.yaml (detection: targets/appscan)
  build.py    manifest -> render -> images or zip -> build/<target>/build.json (targets on threads: fanout.py)
  noop.py     the no-op fast path: nothing changed since the last build, proved by stat alone
  smoke.py    built targets -> checks -> parity matrix, build/smoke.json
  publish.py  what passed smoke -> registries and buckets -> build/release.json
  bench.py    flaskship against tutorial-style Dockerfiles (bench_arms, bench_figures, bench_report), build/bench.json
  bench_deps.py  the dependency step alone, cold and warm: ours (a venv made on the host) vs pip in the image
  fanout.py   one piece of work per target, --jobs at a time
  standins.py local stand-ins for the images a manifest needs (invoke base-images)
  preflight.py  publish --dry-run / --check: tags, credentials, stand-in bases, every problem at once
  doctor.py   is this machine ready? (checks: doctor_checks.py)
  clean.py    build/ and this project's labelled containers, networks and superseded images
  up.py       one target kept running as its platform runs it (up_session.py, up_runners.py)
  report.py   build/report.html (rendering: targets/report/)
  matrix.py   the targets as a GitHub Actions matrix
  completion.py  the shell completion script and the names it completes
"""
