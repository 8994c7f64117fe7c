"""The commands behind the Invoke tasks: each composes the layers below it.

  init.py     an existing Flask app -> a starting targets.yaml (detection: targets/appscan)
  build.py    manifest -> render -> images or zip -> build/<target>/build.json
  smoke.py    built targets -> checks -> parity matrix, build/smoke.json
  publish.py  what passed smoke -> registries and buckets -> build/release.json
  bench.py    build and start-up figures against a naive baseline
"""
