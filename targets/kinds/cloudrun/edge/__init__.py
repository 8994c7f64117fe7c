"""The local Firebase Hosting edge: firebase.json served as Hosting would, in
front of the running Cloud Run container.

Why nginx, and no proxy of our own. firebase-tools' emulator cannot send a
`run` rewrite to a local container (firebase-tools #1676, #3612) and has no
CDN cache, so it cannot stand in front of the image. Hosting's behaviour is a
fixed order of precedence (reserved /__/*, redirects, exact static files,
rewrites in order, 404.html) plus headers by pattern, one cookie passed on,
and a shared cache driven by Cache-Control. nginx, a well-kept server already
used by the compose kind (and present as a stand-in image), expresses each
piece natively once the patterns are regexes and the static files are known:

- redirects: a `map` of ordered regexes (captures included) and `return`;
- exact static files, cleanUrls and trailingSlash: `location =` per path,
  decided in Python by a line-for-line port of superstatic's files middleware
  over the (fixed) public folder (statics.py);
- rewrites: a `map` of ordered regexes; `run` goes to the container through
  `proxy_cache`, `destination` to an internal file location;
- headers: one `map` per header (last matching rule wins, as superstatic sets
  them in order), applied with `add_header always`;
- cookies: a `map` keeps only `__session`, also part of the cache key;
- CDN: `proxy_cache` honours s-maxage before max-age and refuses private,
  no-store and Set-Cookie by itself; a `map` adds "public or nothing", and
  `X-Cache` shows HIT/MISS.

What nginx cannot do is parse minimatch globs; globs.py translates them into
regexes with minimatch's exact semantics (checked against node's minimatch in
the tests). So there is nothing left for a proxy of our own to do, and none
is written. Features of firebase.json that are not emulated (i18n,
appAssociation, function rewrites, ...) are reported as warnings by config.py.

run.running() starts it; checks.py holds the edge checks smoke puts to it;
lint.py the build-time warnings about firebase.json against the app.
"""
