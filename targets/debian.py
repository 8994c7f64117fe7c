"""Debian bookworm's package names for the libraries compiled dependencies need.

Shared by the build's diagnosis of a failed source build (engine/sdists.py) and
init, which names them before the first build (appscan/natives.py); plain data,
so init imports nothing of the engine's.
"""

from __future__ import annotations

PILLOW_REQUIRED = ("jpeg", "zlib")  # what Pillow will not build without, unless told to
PILLOW_PACKAGES = {"jpeg": "libjpeg-dev", "zlib": "zlib1g-dev", "freetype": "libfreetype-dev",
                   "tiff": "libtiff-dev", "lcms": "liblcms2-dev", "webp": "libwebp-dev"}


# What each -dev package's library is called at run time on Debian bookworm (the bases' release):
# the image needs it beside the compiled extension (app.system_packages).
RUNTIME_PACKAGES = {
    "libpq-dev": "libpq5", "libjpeg-dev": "libjpeg62-turbo", "zlib1g-dev": "zlib1g", "libffi-dev": "libffi8",
    "libssl-dev": "libssl3", "libyaml-dev": "libyaml-0-2", "libxml2-dev": "libxml2", "libxslt1-dev": "libxslt1.1",
    "default-libmysqlclient-dev": "libmariadb3", "libfreetype-dev": "libfreetype6", "libtiff-dev": "libtiff6",
    "liblcms2-dev": "liblcms2-2", "libwebp-dev": "libwebp7", "libldap-dev": "libldap-2.5-0",
    "libsasl2-dev": "libsasl2-2", "libgmp-dev": "libgmp10", "libsnappy-dev": "libsnappy1v5",
}


# No release of these has a Linux wheel: every build compiles them (appscan/natives.py), and
# "pin a version that has a wheel" is no fix; the one with a wheeled twin names it.
NO_LINUX_WHEELS = {"psycopg2": "psycopg2-binary", "mysqlclient": None, "python-ldap": None}
