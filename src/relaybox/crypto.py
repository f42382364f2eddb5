"""Encryption at rest for secrets we must read back (webhook signing secrets, carrier passwords).

The server key comes from RELAYBOX_SECRET_KEY, or is generated once into <data_dir>/secret.key
(mode 600). Fernet (AES-128-CBC + HMAC-SHA256) from the cryptography package does the work.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, secret: str) -> None:
        digest = hashlib.sha256(b"relaybox-secretbox:" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._plain: dict[str, str] = {}  # decryptions, by ciphertext (hot webhook secrets)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        found = self._plain.get(token)
        if found is not None:
            return found
        try:
            plain = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("secret cannot be decrypted with this server key") from None
        if len(self._plain) > 10_000:
            self._plain.clear()
        self._plain[token] = plain
        return plain


def load_server_secret(configured: str | None, data_dir: Path) -> str:
    if configured:
        return configured
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = base64.urlsafe_b64encode(os.urandom(32)).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret
