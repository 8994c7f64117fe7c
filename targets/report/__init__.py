"""What a person (or CI) reads at the end of a task, made from the records on disk.

  rows.py      one row per target: kind, artifact, size, time, verdict (from build.json, smoke.json, release.json)
  summary.py   the end-of-task table, --json, and the GitHub Actions step summary
  junit.py     build/junit.xml from smoke.json, so CI shows every check as a test
  html.py      build/report.html: one self-contained page (matrix, charts, release)
  charts.py    inline SVG bar charts (no script, no CDN)
"""
