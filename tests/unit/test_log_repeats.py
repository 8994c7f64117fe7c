"""A failed smoke prints each traceback in full once (smoke/repeats.py), never hiding one that differs."""

from __future__ import annotations

from targets.engine.tracebacks import with_cause
from targets.smoke.repeats import folded


def _chain(root: str, message: str, address: str = "0x7f3a2c1d0e50") -> list[str]:
    return ["Traceback (most recent call last):",
            '  File "/opt/venv/lib/python3.12/site-packages/flask/app.py", line 1511, in wsgi_app',
            "    response = self.full_dispatch_request()",
            f'  File "{root}/app/views.py", line 12, in index',
            "    return render(Project.query.count())",
            f"sqlalchemy.exc.OperationalError: {message} <Engine object at {address}>"]


SQL = ["[SQL: SELECT count(*) AS count_1 ", "FROM projects]", "(Background on this error at: https://sqlalche.me/e/20/e3q8)"]


def test_a_traceback_repeated_across_variants_and_platforms_is_printed_once() -> None:
    first = ["[2026-12-07 03:16:37 +0000] [1] [INFO] Starting gunicorn 23.0.0",
             *_chain("/srv/app", "no such table: projects"), *SQL,
             '127.0.0.1 - - [07/Dec/2026:03:15:34 +0000] "GET / HTTP/1.1" 500 265 23.1ms',
             *_chain("/srv/app", "no such table: projects", "0x7f3a2c1d9999"), *SQL]
    # Cloud Functions puts the app in /workspace: the same line of the same file raised it.
    second = ["[2026-12-07 03:16:38 +0000] [1] [INFO] Starting gunicorn 23.0.0",
              *_chain("/workspace", "no such table: projects"), *SQL]
    out = folded({"cloudrun [PORT unset]": "\n".join(first), "functions [functions-framework]": "\n".join(second)})

    shown = out["cloudrun [PORT unset]"].splitlines()
    assert shown[:1 + 6 + 3 + 1] == first[:11]  # the first in full, with its message lines
    assert shown[11:] == ["(the same traceback as above: sqlalchemy.exc.OperationalError: no such table: projects "
                          "<Engine object at 0x7f3a2c1d9999>)"]
    assert out["functions [functions-framework]"].splitlines() == [
        second[0], "(the same traceback as in cloudrun [PORT unset] above: sqlalchemy.exc.OperationalError: "
                   "no such table: projects <Engine object at 0x7f3a2c1d0e50>)"]
    printed = "\n".join(out.values())
    assert printed.count("Traceback (most recent call last)") == 1 and printed.count("[SQL: ") == 1


def test_a_traceback_or_message_that_differs_is_printed_in_full() -> None:
    one = "\n".join([*_chain("/srv/app", "no such table: projects"), *SQL])
    other_table = "\n".join(_chain("/srv/app", "no such table: users"))
    other_sql = "\n".join([*_chain("/srv/app", "no such table: projects"), "[SQL: SELECT 1]", "after"])
    out = folded({"a": one, "b": other_table, "c": other_sql})
    assert out["a"] == one and out["b"] == other_table
    # The same traceback, but its message goes on differently: that part is still shown.
    assert out["c"].splitlines() == ["(the same traceback as in a above: sqlalchemy.exc.OperationalError: no such "
                                     "table: projects <Engine object at 0x7f3a2c1d0e50>)", "[SQL: SELECT 1]", "after"]


def test_the_end_of_a_traceback_cut_by_the_log_window_counts_as_a_repeat() -> None:
    # with_cause keeps the cause, then the tail, which opens inside the next worker's traceback.
    chain = _chain("/srv/app", "no such table: projects")
    log = with_cause("\n".join(["booting", *chain, *[f"[INFO] line {n}" for n in range(40)], *chain, "done"]), 5)
    assert log.splitlines()[len(chain)] == "..."
    out = folded({"heroku": log})["heroku"].splitlines()
    assert out == [*chain, "...", "(the same traceback as above: " + chain[-1] + ")", "done"]


def test_logs_without_tracebacks_are_left_as_they_are() -> None:
    logs = {"compose [web]": "[INFO] Booting worker\n  indented detail\nready", "heroku": ""}
    assert folded(logs) == logs
