"""API keys and connection strings, kept in the OS keyring and never in files or logs.

Environment variables override the keyring so the CLI and CI can run without one. The keyring
package is imported on the first read, not at start-up: finding the system's backend pulls in
about a hundred modules (D-Bus, cryptography) that the first screen has no use for.
"""

from __future__ import annotations

import logging
import os
import re
from enum import StrEnum
from typing import ClassVar
from urllib.parse import unquote

SERVICE = "avpe-desktop"

log = logging.getLogger(__name__)


class SecretName(StrEnum):
    GOOGLE_API_KEY = "google_api_key"
    CLOUDINARY_CLOUD_NAME = "cloudinary_cloud_name"
    CLOUDINARY_API_KEY = "cloudinary_api_key"
    CLOUDINARY_API_SECRET = "cloudinary_api_secret"
    MONGODB_URI = "mongodb_uri"

    @property
    def env_var(self) -> str:
        return self.value.upper()


class SecretsUnavailableError(RuntimeError):
    """No usable keyring on this system (for example a headless Linux without a secret
    service); the message says how to work around it."""


def get_secret(name: SecretName) -> str | None:
    """The value, which the log filter learns at once: a secret can only reach a log line
    after this process has read it."""
    value = os.environ.get(name.env_var) or _from_keyring(name)
    if value:
        SecretRedactor.remember(value)
    return value


def _from_keyring(name: SecretName) -> str | None:
    import keyring.errors

    try:
        return keyring.get_password(SERVICE, name.value)
    except keyring.errors.KeyringError as exc:
        # No keyring (a headless machine, CI) simply means nothing was stored there; the
        # offline engine and environment variables still work.
        log.debug("Keyring unavailable while reading %s: %s", name.value, exc)
        return None


def set_secret(name: SecretName, value: str) -> None:
    value = value.strip()
    if not value:
        delete_secret(name)
        return
    import keyring.errors

    try:
        keyring.set_password(SERVICE, name.value, value)
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailableError(_unavailable(name)) from exc
    SecretRedactor.remember(value)


def delete_secret(name: SecretName) -> None:
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, name.value)
    except keyring.errors.PasswordDeleteError:
        return
    except keyring.errors.KeyringError as exc:
        raise SecretsUnavailableError(_unavailable(name)) from exc


def mask(value: str | None) -> str:
    """Enough to recognise which key is set, not enough to use it."""
    if not value:
        return ""
    if len(value) <= 8:
        return "•" * len(value)
    return f"{value[:4]}…{value[-4:]}"


_SENSITIVE_QUERY_KEY = re.compile(r"(?i)(password|secret|token|key)")


def mask_uri(uri: str) -> str:
    """A connection string safe to show or log: the password in `scheme://user:pass@host` and
    credential-like query values are replaced; scheme, user, hosts and database stay readable.
    Text that is not a URI is masked whole."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return mask(uri)
    query_at = rest.find("?")
    head, query = (rest, "") if query_at < 0 else (rest[:query_at], rest[query_at:])
    userinfo, at, hosts = head.rpartition("@")  # the last @: a raw @ in a password stays inside
    if at and ":" in userinfo:
        head = f"{userinfo.split(':', 1)[0]}:****@{hosts}"
    query = re.sub(
        r"([?&])([^=&]+)=([^&]*)",
        lambda m: f"{m[1]}{m[2]}=****" if _SENSITIVE_QUERY_KEY.search(m[2]) else m[0],
        query,
    )
    return f"{scheme}://{head}{query}"


def uri_password(uri: str) -> str | None:
    """The password inside a connection string, so it can be redacted on its own too."""
    _scheme, sep, rest = uri.partition("://")
    userinfo, at, _hosts = rest.split("?", 1)[0].rpartition("@")
    if not (sep and at and ":" in userinfo):
        return None
    return userinfo.split(":", 1)[1] or None


def _unavailable(name: SecretName) -> str:
    return (
        f"The system keyring is not available, so {name.value} cannot be stored. "
        f"Set the environment variable {name.env_var} instead, or install a keyring "
        "service (GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager)."
    )


class SecretRedactor(logging.Filter):
    """A logging filter that replaces every secret the app has seen with its mask, so a key
    that slips into an exception message still never reaches a log file. It learns each
    secret as it is read or saved (`get_secret`, `set_secret`), before any use could log it."""

    _known: ClassVar[set[str]] = set()

    @classmethod
    def remember(cls, value: str) -> None:
        if len(value) >= 6:
            cls._known.add(value)
        if password := uri_password(value):
            # Also when it shows up alone, as written or percent-decoded (as drivers report it).
            cls._known.update(p for p in {password, unquote(password)} if len(p) >= 6)

    @classmethod
    def redact(cls, text: str) -> str:
        # Longest first, so a URI is masked whole before its password alone is looked for.
        for value in sorted(cls._known, key=len, reverse=True):
            text = text.replace(value, mask_uri(value) if "://" in value else mask(value))
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
