"""A real registry behind Bearer token auth, as Artifact Registry and Heroku's are.

Docker's registry (distribution 2.8) verifies the tokens itself: RS256 JWTs
whose x5c certificate chains to its `rootcertbundle`. The token endpoint is the
part that is a hosted service elsewhere, so it is a small stand-in here that
follows the token spec (distribution docs/spec/auth/token.md): GET realm with
service and scope, HTTP Basic credentials, {"token", "access_token"} back.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.integration import services

ISSUER, SERVICE = "flaskship-test-issuer", "flaskship-test-registry"


@dataclass
class TokenServer:
    url: str = ""
    # (username, scope) of every token request, granted or not.
    requests: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TokenRegistry:
    address: str
    tokens: TokenServer


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Signer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flaskship test token signer")])
        now = datetime.now(timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=2))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def token(self, subject: str, scope: str) -> str:
        header = {"alg": "RS256", "typ": "JWT",
                  "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]}
        now = int(time.time())
        access = []
        for kind, name, actions in re.findall(r"(\w+):([^:\s]+):([\w,*]+)", scope):
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


@contextmanager
def token_registry(folder: Path) -> Iterator[TokenRegistry]:
    signer, tokens = _Signer(), TokenServer()

    class Handler(services.JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            query = parse_qs(urlparse(self.path).query)
            user, _, password = _basic(self.headers.get("Authorization", ""))
            scope = " ".join(query.get("scope", []))
            tokens.requests.append((user, scope))
            if query.get("service") != [SERVICE] or (user, password) != (services.USER, services.PASSWORD):
                return self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
            token = signer.token(user, scope)
            self._answer(200, {"token": token, "access_token": token, "expires_in": 300})

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "signer.pem").write_bytes(signer.pem())
    with services.threaded(Handler) as token_address:
        tokens.url = f"http://{token_address}/token"
        port = services.free_port()
        (folder / "config.yml").write_text(json.dumps({
            "version": 0.1,
            "storage": {"filesystem": {"rootdirectory": str(folder / "data")}},
            "http": {"addr": f"127.0.0.1:{port}"},
            "auth": {"token": {"realm": tokens.url, "service": SERVICE, "issuer": ISSUER,
                               "rootcertbundle": str(folder / "signer.pem")}},
        }))
        command = [shutil.which("docker-registry") or "registry", "serve", str(folder / "config.yml")]
        with services.serving(services.Server(command, f"http://127.0.0.1:{port}/v2/", 401)):
            yield TokenRegistry(f"127.0.0.1:{port}", tokens)


def _basic(header: str) -> tuple[str, str, str]:
    if not header.startswith("Basic "):
        return "", "", ""
    return base64.b64decode(header[6:]).decode().partition(":")
