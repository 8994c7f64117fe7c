"""firebase.json -> the edge: superstatic's static table, validation, warnings, the nginx text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from targets.kinds.cloudrun.edge import config, lint, nginx, statics
from targets.kinds.cloudrun.edge.checks import EDGE_LINE, upstream_calls

FILES = frozenset({"/index.html", "/about.html", "/docs/index.html", "/style.css", "/404.html"})


@pytest.mark.parametrize("clean,slash,path,expected", [
    (False, None, "/about.html", ("file", "/about.html")), (False, None, "/about", None),
    (False, None, "/docs", ("redirect", "/docs/")), (False, None, "/docs/", ("file", "/docs/index.html")),
    (True, None, "/about", ("file", "/about.html")), (True, None, "/about.html", ("redirect", "/about")),
    (True, None, "/docs", ("file", "/docs/index.html")), (True, None, "/index.html", ("redirect", "/")),
    (True, True, "/about", ("redirect", "/about/")), (True, True, "/about/", ("file", "/about.html")),
    (True, True, "/about.html", ("redirect", "/about/")), (True, False, "/docs/", ("redirect", "/docs")),
    (False, False, "/docs/", ("redirect", "/docs")), (False, True, "/docs", ("redirect", "/docs/")),
    (True, False, "/about/", ("redirect", "/about")), (False, None, "/", ("file", "/index.html")),
    (False, False, "/", ("file", "/index.html")),
])
def test_static_decisions_are_superstatics(clean: bool, slash: bool | None, path: str, expected: object) -> None:
    assert statics.decide(path, FILES, clean, slash) == expected


def test_the_table_covers_every_path_a_file_answers() -> None:
    table = statics.table(FILES, True, None)
    assert table["/about"] == ("file", "/about.html") and table["/docs/"] == ("file", "/docs/index.html")
    assert "/nope" not in table and all(p.startswith("/") for p in table)


def _site(tmp_path: Path, hosting: dict, files: dict[str, str] | None = None) -> config.Site:
    public = tmp_path / "public"
    for rel, text in (files or {"index.html": "x", "404.html": "nf", ".env": "secret"}).items():
        (public / rel).parent.mkdir(parents=True, exist_ok=True)
        (public / rel).write_text(text)
    (tmp_path / "firebase.json").write_text(json.dumps({"hosting": {"public": "public", **hosting}}))
    return config.load(tmp_path / "firebase.json", service_id="flask-demo")


def test_unsupported_features_are_warnings_naming_the_key(tmp_path: Path) -> None:
    site = _site(tmp_path, {"i18n": {"root": "/loc"}, "appAssociation": "AUTO", "ignore": ["**/.*"],
                            "rewrites": [{"source": "/f", "function": "api"},
                                         {"source": "**", "run": {"serviceId": "other", "region": "us-central1"}}]})
    text = "\n".join(site.warnings)
    for fragment in ("hosting.i18n", "hosting.appAssociation", "rewrites[0]: a function rewrite",
                     "rewrites[1].run.serviceId 'other'"):
        assert fragment in text
    assert "/.env" not in site.files and "/index.html" in site.files


@pytest.mark.parametrize("hosting,fragment", [
    ({"public": ""}, "hosting.public: expected the folder"),
    ({"redirects": [{"source": "/a", "destination": "/b", "type": 305}]}, "hosting.redirects[0].type"),
    ({"redirects": [{"source": "/a", "regex": "/a", "destination": "/b"}]}, "exactly one of `source`"),
    ({"redirects": [{"source": "/a/:x", "destination": "/b/:y"}]}, ":y is captured by nothing"),
    ({"headers": [{"source": "**", "headers": [{"key": "X Bad", "value": "1"}]}]}, "headers[0].headers[0].key"),
    ({"rewrites": [{"regex": "(", "destination": "/index.html"}]}, "rewrites[0].regex: not a regular expression"),
    ({"cleanUrls": "yes"}, "hosting.cleanUrls: expected true or false"),
    ({"redirects": [{"source": "/a", "destination": "/b\"; return 200 x;"}]}, "redirects[0].destination"),
])
def test_a_broken_firebase_json_is_one_line_naming_the_key(tmp_path: Path, hosting: dict, fragment: str) -> None:
    with pytest.raises(config.HostingError, match=re.escape(fragment)):
        _site(tmp_path, hosting)


def test_a_file_name_the_config_cannot_hold_is_left_out_with_a_warning(tmp_path: Path) -> None:
    site = _site(tmp_path, {}, {"ok.html": "x", 'evil";.html': "x", "cost$.txt": "x"})
    assert site.files == {"/ok.html"} and len(site.warnings) == 2


def test_the_nginx_config_keeps_hostings_order_and_only_the_session_cookie(tmp_path: Path) -> None:
    site = _site(tmp_path, {
        "cleanUrls": True,
        "redirects": [{"source": "/old/:rest*", "destination": "/new/:rest", "type": 302}],
        "headers": [{"source": "**", "headers": [{"key": "X-A", "value": "1"}]},
                    {"source": "/static/**", "headers": [{"key": "X-A", "value": "2"}]}],
        "rewrites": [{"source": "/spa/**", "destination": "/index.html"},
                     {"source": "**", "run": {"serviceId": "flask-demo", "region": "us-central1"}}]})
    text = nginx.render(site, "172.17.0.9:8080")
    assert text.index("if ($edge_redirect") < text.index("location ^~ /__/ ") < text.index('location = "/"') \
        < text.index("location / {")
    assert '"~^/+__/" ""' in text  # the reserved namespace comes before any redirect
    assert "302 /new/${edge_p_rest}" in text
    rewrites = text[text.index("map $edge_path $edge_rewrite"):]
    assert rewrites.index('"file:/index.html"') < rewrites.index('"run"')
    header_map = text[text.index("map $edge_path $edge_h0"):]
    assert header_map.index('"2"') < header_map.index('"1"')  # the later rule wins: it is tested first
    assert "proxy_set_header Cookie $edge_session;" in text and "__session=" in text
    assert "proxy_cache_key \"$request_uri|$edge_session\";" in text and "server 172.17.0.9:8080;" in text
    assert "{{" not in text and "}}" not in text


def test_the_lint_finds_a_broken_firebase_json_of_the_users_own(tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    (tmp_path / "firebase.json").write_text(json.dumps({"hosting": {"public": "public", "rewrites": [
        {"source": "**", "run": {"serviceId": "Flask_Demo"}},
        {"source": "/api/**", "run": {"serviceId": "flask-demo", "region": "us-central1"}}]}}))
    site = config.load(tmp_path / "firebase.json", service_id="flask-demo")
    found = "\n".join(lint.service(site.raw, "flask-demo", "us-central1") + lint.unreachable(site))
    assert "rewrites[0].run.serviceId 'Flask_Demo' is missing or not a Cloud Run service name" in found
    assert "rewrites[0].run.region is missing: Hosting then assumes us-central1" in found
    assert "rewrites[0] (source '**') takes every path, so rewrites[1] (source '/api/**') can never match" in found


def test_the_lint_names_shadowed_routes_and_pages_the_cdn_never_keeps() -> None:
    table = {"/": ("file", "/index.html"), "/about.html": ("redirect", "/about")}
    shadowed = lint.shadowing(table, {"/": "demo.index", "/about.html": "demo.about"})
    assert "GET /: public/index.html is served before any rewrite, so the app's route (demo.index)" in shadowed[0]
    assert "Hosting redirects it to /about" in shadowed[1]
    pages = lint.caching({"/a": {"cache_control": "public, max-age=300, s-maxage=600", "set_cookie": False},
                          "/b": {"cache_control": "private, max-age=600", "set_cookie": False},
                          "/c": {"cache_control": "public, max-age=600", "set_cookie": True},
                          "/d": {"cache_control": "public", "set_cookie": False}})
    assert [p.split(":")[0] for p in pages] == ["cdn_pages /b", "cdn_pages /c", "cdn_pages /d"]
    assert "sets a cookie" in pages[1] and "s-maxage=600" in pages[0]


@pytest.mark.parametrize("upstream,calls", [("-", 0), ("172.17.0.9:8080", 1), ("172.17.0.9:8080, 172.17.0.9:8080", 2),
                                            ("172.17.0.9:8080 : 172.17.0.9:8080", 2)])
def test_smoke_reads_the_edges_log_format(tmp_path: Path, upstream: str, calls: int) -> None:
    """A line written in the rendered log_format, with each value nginx can give: smoke
    reads the request and the calls to the container from it (checks.origin_calls)."""
    text = nginx.render(_site(tmp_path, {"rewrites": [{"source": "**", "run": {"serviceId": "flask-demo"}}]}),
                        "172.17.0.9:8080")
    line_format = re.search(r"log_format edge '([^']*)';", text)
    assert line_format is not None and "access_log /dev/stdout edge;" in text
    values = {"remote_addr": "172.17.0.1", "request": "GET /a/b?c=1 HTTP/1.1", "status": "200",
              "upstream_cache_status": "MISS" if calls else "HIT", "edge_rewrite": "run", "upstream_addr": upstream}
    line = re.sub(r"\$(\w+)", lambda m: values[m[1]], line_format[1])
    seen = EDGE_LINE.search(line)
    assert seen is not None, line
    assert (seen["method"], seen["path"], upstream_calls(seen["upstream"])) == ("GET", "/a/b?c=1", calls)


def test_the_sync_request_of_a_count_follows_no_redirect() -> None:
    """origin_calls' sync request, to a health path that redirects (CTFd's / to /setup): a
    followed redirect was one more call to the page it names, counted by the next count only.
    A real HTTP server stands where the edge is, and writes the edge's log lines."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from targets.kinds.cloudrun.edge.checks import origin_calls

    lines: list[str] = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            status = 302 if self.path.startswith("/?") else 200
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/setup")
            self.send_header("Content-Length", "0")
            self.end_headers()
            lines.append(f'127.0.0.1 "GET {self.path} HTTP/1.1" {status} cache=MISS rewrite=run upstream=10.0.0.5:8080')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        class Edge:
            def log(self) -> str:
                return "\n".join(lines)

        url = f"http://127.0.0.1:{server.server_address[1]}/"
        for _ in range(2):
            assert origin_calls(Edge(), "GET", ["/setup"], url) == {"/setup": 0}  # type: ignore[arg-type]
        assert [line.split('"')[1].split("?")[0] for line in lines] == ["GET /", "GET /"]
    finally:
        server.shutdown()
        server.server_close()
