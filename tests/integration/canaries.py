"""Canaries: secrets planted in an app, each a unique string that must appear in no artifact.

The shared `built` project carries them (conftest.py), so every integration
test builds an app that has local secrets lying around, as real apps do.
"""

from __future__ import annotations

import uuid
from pathlib import Path

TOKEN = uuid.uuid4().hex[:12]
# The value of the secret the manifest declares (SECRET_KEY), given at smoke and publish time.
DECLARED = f"canary-declared-{TOKEN}"
# path (relative to the project) -> its content, which holds a canary
FILES = {
    "app/.env": f"SECRET_KEY=canary-dotenv-{TOKEN}\n",
    "app/.ENV": f"SECRET_KEY=canary-upper-env-{TOKEN}\n",
    "app/.env~": f"SECRET_KEY=canary-backup-env-{TOKEN}\n",
    "app/.envrc": f"export SECRET_KEY=canary-envrc-{TOKEN}\n",
    "app/.env.production": f"SECRET_KEY=canary-env-production-{TOKEN}\n",
    "app/secret.pem": f"-----BEGIN PRIVATE KEY-----\ncanary-pem-{TOKEN}\n-----END PRIVATE KEY-----\n",
    "app/instance/config.py": f'SECRET_KEY = "canary-instance-{TOKEN}"\n',
    # in the static folder, which nginx and Hosting serve as they are
    "app/demo/static/.env": f"SECRET_KEY=canary-static-env-{TOKEN}\n",
    "app/demo/static/server.key": f"canary-static-key-{TOKEN}\n",
}


def plant(root: Path) -> None:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def strings() -> list[bytes]:
    """Every canary as bytes: the thing to search for."""
    found = [DECLARED.encode()]
    for text in FILES.values():
        found += [word.encode() for word in text.replace('"', " ").replace("=", " ").split() if TOKEN in word]
    return found


def found_in(data: bytes) -> list[str]:
    return [c.decode() for c in strings() if c in data]
