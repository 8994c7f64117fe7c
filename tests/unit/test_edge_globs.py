"""Hosting's patterns as regexes: minimatch's and path-to-regexp's own answers.

Each expected value below is what node's minimatch 6 (superstatic's) or
path-to-regexp 1.x answered for that pair; tests/integration/test_edge.py
re-asks node live over a much larger grid.
"""

from __future__ import annotations

import re

import pytest

from targets.kinds.cloudrun.edge import captures, globs

MINIMATCH = [
    # (glob, path, minimatch's answer)
    ("**", "/", True), ("**", "/a/b", True), ("**", "/.well-known/x", False), ("**", "/a/.b", False),
    ("/static/**", "/static", False), ("/static/**", "/static/", True), ("/static/**", "/static/a/b.css", True),
    ("/static/**", "/staticfoo", False), ("/a/*", "/a/b/", True), ("/a/*", "/a/", False), ("/a/*", "/a//", False),
    ("/a/*/b", "/a//b", False), ("/a", "/A", False), ("**/*.@(jpg|png)", "/x/y.png", True),
    ("**/*.@(jpg|png)", "/y.gif", False), ("**/*.js", "/y.js", True), ("**/*.js", "/x/y.js/", True),
    ("/{a,b}/c", "/b/c", True), ("/a.{1..3}", "/a.2", True), ("/a.{1..3}", "/a.4", False),
    ("/[a-c]x", "/bx", True), ("/[!a]x", "/ax", False), ("**/.*", "/a/.env", True), ("/a/**/b", "/a/b", True),
    ("/a/**/b", "/a/x/y/b", True), ("/a/**/b", "/a/.x/b", False), ("!/api/**", "/api/x", False),
    ("!/api/**", "/page", True), ("/a/**/", "/a/", True), ("/a/**/", "/a", False), ("/x/?", "/x/y", True),
    ("/x/?", "/x/yy", False), ("/a b", "/a b", True), ("/a/b/../c", "/a/c", True),
]


@pytest.mark.parametrize("glob,path,expected", MINIMATCH)
def test_globs_match_as_minimatch_does(glob: str, path: str, expected: bool) -> None:
    assert (re.search(globs.glob_regex(glob), path) is not None) is expected


def test_dotfiles_match_when_asked_as_deploy_ignore_does() -> None:
    assert re.search(globs.glob_regex("**/.*", dot=True), "/a/.env")
    assert re.search(globs.glob_regex("**", dot=True), "/.well-known/x")
    assert not re.search(globs.glob_regex("**", dot=True), "/a/../b")


def test_redirect_sources_match_the_wire_form_of_their_letters() -> None:
    assert re.search(globs.glob_regex("/café", literal_encode=True), "/caf%C3%A9")
    assert not re.search(globs.glob_regex("/café"), "/caf%C3%A9")  # headers and rewrites see the raw path
    assert globs.encode_uri("/a b/é?x=1") == "/a%20b/%C3%A9?x=1"


def test_negated_extglob_is_reported_not_guessed() -> None:
    with pytest.raises(globs.Unsupported, match=r"extglob !"):
        globs.glob_regex("/a/!(b|c)")


PATH_TO_REGEXP = [
    # (source, path, the captured values path-to-regexp gives, or None for no match)
    ("/old/:rest*", "/old", [None]), ("/old/:rest*", "/old/a/b", ["a/b"]), ("/blog/:post", "/BLOG/x/", ["x"]),
    ("/blog/:post", "/blog/x/y", None), ("/u/:id(\\d+)", "/u/12", ["12"]), ("/u/:id(\\d+)", "/u/ab", None),
    ("/p/:id?", "/p", [None]), ("/f/:f+", "/f", None), ("/x/*", "/x/a/b", ["a/b"]),
]


@pytest.mark.parametrize("source,path,captured", PATH_TO_REGEXP)
def test_capture_sources_match_as_path_to_regexp_does(source: str, path: str, captured: list | None) -> None:
    capture = captures.capture_regex(source)
    match = re.search(capture.regex, path)
    assert ([match.group(captures.group(n)) for n in capture.names] if match else None) == captured


def test_a_parameter_the_destination_needs_must_be_there() -> None:
    assert not re.search(captures.capture_regex("/old/:rest*", frozenset({"rest"})).regex, "/old")
    assert captures.destination_params("https://x.com/:a/b/:c") == ["a", "c"]
    assert captures.uses_captures("/new/:a") and not captures.uses_captures("https://x.com:8080/a")
