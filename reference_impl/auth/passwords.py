"""Password hashing with scrypt from the standard library, in a self-describing string.

Encoded as `$scrypt$ln=<log2 n>,r=<r>,p=<p>$<salt>$<hash>` (unpadded base64), so the
parameters can change without invalidating stored hashes. Hashing is slow on purpose;
callers in the event loop run it in a thread. Passwords are never logged or echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_SCHEME = "scrypt"


@dataclass(frozen=True)
class ScryptParams:
    """Cost parameters of scrypt (RFC 7914); the defaults take tens of milliseconds."""

    log2_n: int = 14
    r: int = 8
    p: int = 1
    salt_bytes: int = 16
    hash_bytes: int = 32

    def __post_init__(self) -> None:
        for name in ("log2_n", "r", "p", "salt_bytes", "hash_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"ScryptParams.{name} must be at least 1, got {getattr(self, name)}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int, length: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r + (1 << 20)
    )


class PasswordHasher:
    """Hashes and checks passwords with one set of scrypt parameters."""

    def __init__(self, params: ScryptParams | None = None) -> None:
        self.params = params or ScryptParams()

    def hash(self, password: str) -> str:
        params = self.params
        salt = secrets.token_bytes(params.salt_bytes)
        digest = _scrypt(password, salt, params.log2_n, params.r, params.p, params.hash_bytes)
        return f"${_SCHEME}$ln={params.log2_n},r={params.r},p={params.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, encoded: str | None) -> bool:
        """Whether `password` matches `encoded`; a missing or foreign hash never matches.

        A missing hash still costs one hash computation, so the time taken does not tell
        whether an account exists.
        """
        parsed = _parse(encoded) if encoded else None
        if parsed is None:
            self.hash(password)
            return False
        log2_n, r, p, salt, expected = parsed
        actual = _scrypt(password, salt, log2_n, r, p, len(expected))
        return hmac.compare_digest(actual, expected)


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != _SCHEME:
        return None
    try:
        settings = dict(item.split("=", 1) for item in parts[2].split(","))
        log2_n, r, p = int(settings["ln"]), int(settings["r"]), int(settings["p"])
        salt, expected = _unb64(parts[3]), _unb64(parts[4])
    except (KeyError, ValueError):
        return None
    if not (1 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16 and salt and expected):
        return None
    return log2_n, r, p, salt, expected
