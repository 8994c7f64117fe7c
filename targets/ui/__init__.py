"""What a person sees while a command runs (lowest layer: imports nothing of the project).

  lines.py     markers lower layers put on a progress line: Notice (once per run, kept), Detail (--verbose only)
  progress.py  Reporter: one live line per target (rich), or plain lines when not a terminal or in CI
"""
