"""Smoke-testing a built target.

  session.py      SmokeRun: containers up, the checks put, verdicts recorded
  conformance.py  the HTTP checks every target must pass (pure functions of a response)
  paths.py        the paths every target is asked for (init's probe asks them too)
  report.py       verdicts, the parity matrix (pure)
"""
