"""Page cursors of the sharing API: the last row's key values, sealed (AES-GCM) so that they are
opaque to the caller. Sealed rather than merely encoded because the primary key is not necessarily
a field the consumer was granted: a base64 cursor would hand out an ungranted field's values one
page at a time. The seal also makes a cursor tamper-evident and tied to its resource.

The secret is ``GONGSHU_API_CURSOR_SECRET``; without it each process draws a random one, so a
cursor ends with the process that issued it (set the secret when several processes serve the API).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class InvalidCursor(ValueError):
    """A cursor that was not issued by this service for this resource."""


class CursorSeal:
    def __init__(self, secret: str | None = None):
        key = hashlib.sha256(secret.encode("utf-8")).digest() if secret else os.urandom(32)
        self._aead = AESGCM(key)

    def seal(self, scope: str, values: list[Any]) -> str:
        """``values`` (JSON-ready) as an opaque URL-safe token valid for ``scope`` only."""
        nonce = os.urandom(_NONCE)
        plain = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        token = nonce + self._aead.encrypt(nonce, plain, scope.encode("utf-8"))
        return base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")

    def open(self, scope: str, token: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], scope.encode("utf-8"))
            values = json.loads(plain)
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise InvalidCursor(
                "the cursor is not valid here: pass next_cursor of the previous page unchanged"
            ) from exc
        if not isinstance(values, list):
            raise InvalidCursor("the cursor is not valid here: pass next_cursor of the previous page unchanged")
        return values
