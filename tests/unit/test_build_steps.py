"""init names what the app's own Dockerfile makes at build time, which flaskship's builds do not."""

from __future__ import annotations

from pathlib import Path

from targets.appscan import buildsteps

# microblog's Dockerfile, as its repository has it.
MICROBLOG = """FROM python:slim

COPY requirements.txt requirements.txt
RUN pip install -r requirements.txt
RUN pip install gunicorn pymysql cryptography

COPY app app
COPY migrations migrations
COPY microblog.py config.py boot.sh ./
RUN chmod a+x boot.sh

ENV FLASK_APP microblog.py
RUN flask translate compile

EXPOSE 5000
ENTRYPOINT ["./boot.sh"]
"""


def test_microblogs_translation_compile_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(MICROBLOG)
    steps = buildsteps.build_steps(tmp_path)
    assert steps == ("`flask translate compile` (Dockerfile line 13)",)
    note = buildsteps.note(steps)
    assert "flask translate compile" in note and "app.prestart" in note and "app.writable" in note


def test_installs_and_checks_are_not_build_steps_and_continuations_are_joined(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "RUN apt-get update && apt-get install -y gcc \\\n"
        "    # a comment inside the continuation\n"
        "    && python -m pip install -r requirements.txt && python -c 'import app'\n"
        "RUN useradd app; mkdir -p /data\n"
        "RUN cd assets \\\n"
        "    && npm ci \\\n"
        "    && NODE_ENV=production npm run build\n"
        'RUN ["/usr/local/bin/pybabel", "compile", "-d", "app/translations"]\n'
        "# RUN flask digest compile\n")
    assert buildsteps.build_steps(tmp_path) == (
        "`npm ci` (Dockerfile line 6)",
        "`NODE_ENV=production npm run build` (Dockerfile line 6)",
        "`/usr/local/bin/pybabel compile -d app/translations` (Dockerfile line 9)",
    )


def test_no_dockerfile_no_steps(tmp_path: Path) -> None:
    assert buildsteps.build_steps(tmp_path) == ()
