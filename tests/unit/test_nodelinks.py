"""init warns of pages that link files in node_modules/, which no artifact holds."""

from __future__ import annotations

from pathlib import Path

from targets.appscan import nodelinks
from targets.build.ignore import default_excluded
from tests.helpers import write_tree


def test_pages_that_link_node_modules_are_named_with_their_first_link(tmp_path: Path) -> None:
    # anitya's master.html links bootstrap and jquery from static/node_modules/.
    app = write_tree(tmp_path / "app", {
        "anitya/templates/master.html": "<html>\n<link href=\"{{ url_for('static', filename="
                                        "'node_modules/bootstrap/dist/css/bootstrap.min.css') }}\">\n"
                                        "<script src=\"/static/node_modules/jquery/dist/jquery.min.js\"></script>\n",
        "anitya/templates/about.html": "<link href=\"https://cdn.example/bootstrap.css\">\n",
        "anitya/static/node_modules/pkg/index.html": "node_modules/other/x.js\n",  # npm's own files: not pages
        "tests/templates/t.html": "node_modules/x.js\n",
        "anitya/templates/emails/note.j2": "see /static/node_modules/@popperjs/core/dist/umd/popper.min.js\n",
    })
    found = nodelinks.links(app)
    assert found == ["anitya/templates/master.html line 2: node_modules/bootstrap/dist/css/bootstrap.min.css",
                     "anitya/templates/emails/note.j2 line 1: node_modules/@popperjs/core/dist/umd/popper.min.js"]
    note = nodelinks.note(found)
    assert note is not None and note.startswith("the app's pages use files in node_modules/ (anitya/templates/")
    assert "answers 404 on every target" in note and "smoke fetches none of them" in note
    assert nodelinks.note([]) is None


def test_asset_bundles_named_in_python_count_but_comments_do_not(tmp_path: Path) -> None:
    # PowerDNS-Admin's Flask-Assets bundles: every page that rendered one answered 500 in the probe.
    app = write_tree(tmp_path / "app", {
        "powerdnsadmin/assets.py": "from flask_assets import Bundle\n# built from node_modules/ by yarn\n"
                                   "css_main = Bundle(\n    'node_modules/@fortawesome/fontawesome-free/css/all.css',\n"
                                   "    output='generated/main.css')\n",
        "powerdnsadmin/settings.py": "IGNORE = 'static'  # not node_modules/x.js\n",
    })
    found = nodelinks.links(app)
    assert found == ["powerdnsadmin/assets.py line 4: node_modules/@fortawesome/fontawesome-free/css/all.css"]
    note = nodelinks.note(found)
    assert note is not None and "an asset bundle made of them fails its page with a 500" in note


def test_node_modules_is_left_out_of_every_artifact_as_the_warning_says() -> None:
    # The warning stands on build/ignore.py's defaults: if they ever ship node_modules, it must go.
    assert default_excluded("anitya/static/node_modules", is_dir=True, is_venv=False)
