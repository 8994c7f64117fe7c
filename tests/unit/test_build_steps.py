"""init reads what the app's own Dockerfile makes at build time: app.build for what runs in the
app's Python image, a warning for the rest."""

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


def test_microblogs_translation_compile_becomes_app_build(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(MICROBLOG)
    steps = buildsteps.build_steps(tmp_path)
    assert [str(step) for step in steps] == ["`flask translate compile` (Dockerfile line 13)"]
    assert buildsteps.build_command(steps) == "flask translate compile"
    assert "line 13" in buildsteps.build_why(steps)
    assert buildsteps.note(steps) is None  # nothing left that app.build cannot run


def test_installs_checks_and_migrations_are_not_build_steps_and_continuations_are_joined(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "RUN apt-get update && apt-get install -y gcc \\\n"
        "    # a comment inside the continuation\n"
        "    && python -m pip install -r requirements.txt && python -c 'import app'\n"
        "RUN useradd app; mkdir -p /data; flask db upgrade\n"
        "RUN cd assets \\\n"
        "    && npm ci \\\n"
        "    && NODE_ENV=production npm run build\n"
        'RUN ["/usr/local/bin/pybabel", "compile", "-d", "app/translations"]\n'
        "RUN cd 'web app' && FLASK_APP=site.py flask digest compile\n"
        "# RUN flask assets build\n")
    steps = buildsteps.build_steps(tmp_path)
    assert [str(step) for step in steps] == [
        "`npm ci` (Dockerfile line 6)",
        "`NODE_ENV=production npm run build` (Dockerfile line 6)",
        "`/usr/local/bin/pybabel compile -d app/translations` (Dockerfile line 9)",
        "`FLASK_APP=site.py flask digest compile` (Dockerfile line 10)",
    ]
    # What runs in the Python image becomes app.build: in the folder its RUN cd'd to, the
    # program by name (the image's venv has it on PATH, not at /usr/local/bin).
    assert buildsteps.build_command(steps) == ("pybabel compile -d app/translations && "
                                               "(cd 'web app' && FLASK_APP=site.py flask digest compile)")
    note = buildsteps.note(steps)
    assert note is not None and "`npm ci`" in note and "pybabel" not in note and "app.prestart" in note


def test_no_dockerfile_no_steps(tmp_path: Path) -> None:
    assert buildsteps.build_steps(tmp_path) == ()
    assert buildsteps.build_command(()) is None and buildsteps.note(()) is None


def test_bundles_the_app_makes_in_its_static_folder_are_made_at_build_time_or_warned_of() -> None:
    # dribdat: Flask-Assets wrote static/css/common.css at run time; nginx and Hosting serve the
    # static folder as built, so the page's stylesheet answered 404 there.
    written = ("dribdat/static/.webassets-cache", "dribdat/static/css", "dribdat/static/js", "dribdat/uploads")
    served = buildsteps.static_writes(written, "dribdat/static")
    assert served == ("dribdat/static/css", "dribdat/static/js")  # not its cache, nor what is outside static
    assert buildsteps.static_writes(written, None) == () and buildsteps.static_writes(written, "dribdat/stat") == ()
    command = "flask --app 'dribdat.app:init_app()' assets build"
    step = buildsteps.assets_step(served, ("assets", "db", "routes"), command)
    assert step is not None and buildsteps.build_command((step,)) == command
    assert buildsteps.build_why((step,)).startswith(
        "the app made its Flask-Assets bundles in dribdat/static/css, dribdat/static/js at run time")
    assert buildsteps.static_note(served, (step,)) is None
    # Without Flask-Assets' command there is nothing init can run: a warning names the folders.
    assert buildsteps.assets_step(served, ("db",), command) is None
    warned = buildsteps.static_note(served, ())
    assert warned is not None and "dribdat/static/css, dribdat/static/js" in warned and "404" in warned
    assert buildsteps.assets_step((), ("assets",), command) is None and buildsteps.static_note((), ()) is None
