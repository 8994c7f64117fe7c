"""kind: compose -- the app image behind an nginx image, tied by docker-compose.yml.

nginx serves the static files and proxies everything else to gunicorn
(gunicorn deploy docs). Only nginx publishes a port; the app trusts exactly
one proxy hop here (ProxyFix) and nowhere else. Its templates are the
project's top-level nginx/ and compose/ folders (registered in targets/kinds).

  kind.py   render, build (with `nginx -t` and the compose-spec schema), publish, deploy
  nginx_check.py   `nginx -t` on the generated config, in the nginx base, beside the image builds
  schema_check.py  docker-compose.yml against the compose spec, beside the image builds, once per shape
  stack.py  smoke: the stack up under a unique project, checks through nginx, always down
  cli.py    Compose v2 (`docker compose`) or v1 (`docker-compose`)
"""
