"""The commands behind the Invoke tasks: each composes the layers below it.

  init.py     an existing Flask app -> a starting targets.yaml (detection: targets/appscan)
  build.py    manifest -> render -> images or zip -> build/<target>/build.json (targets on threads: fanout.py)
  noop.py     the no-op fast path: nothing changed since the last build, proved by stat alone
  smoke.py    built targets -> checks -> parity matrix, build/smoke.json
  publish.py  what passed smoke -> registries and buckets -> build/release.json
  bench.py    flaskship against tutorial-style Dockerfiles (bench_arms, bench_figures, bench_report)
  fanout.py   one piece of work per target, --jobs at a time
"""
