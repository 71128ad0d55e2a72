"""Connection strings in messages and logs show where, never the password."""

from __future__ import annotations

import pytest

from avpe_desktop.secrets import SecretRedactor, mask_uri, uri_password


@pytest.mark.parametrize(
    ("uri", "masked"),
    [
        ("mongodb://user:pa55word@host:27017/db", "mongodb://user:****@host:27017/db"),
        (
            "mongodb+srv://me:p%40ss@cluster0.x.mongodb.net/avpe_db?retryWrites=true",
            "mongodb+srv://me:****@cluster0.x.mongodb.net/avpe_db?retryWrites=true",
        ),
        ("mongodb://u:raw@pass@h1,h2/db", "mongodb://u:****@h1,h2/db"),
        (
            "mongodb://h/db?tlsCertificateKeyFilePassword=xyz&appname=a",
            "mongodb://h/db?tlsCertificateKeyFilePassword=****&appname=a",
        ),
        ("mongodb://127.0.0.1:27017", "mongodb://127.0.0.1:27017"),
        ("mongodb://onlyuser@host/db", "mongodb://onlyuser@host/db"),
        ("cloudinary://123:abcSECRET@demo", "cloudinary://123:****@demo"),
        ("not a uri at all", "not … all"),
    ],
)
def test_mask_uri(uri: str, masked: str) -> None:
    assert mask_uri(uri) == masked


def test_uri_password() -> None:
    assert uri_password("mongodb://u:p%40ss@h/db") == "p%40ss"
    assert uri_password("mongodb://u@h/db") is None
    assert uri_password("mongodb://h/db?x=a:b@c") is None


def test_the_redactor_masks_a_remembered_uri_and_its_password_alone() -> None:
    uri = "mongodb://creator:Tr0ub4dor%26x@db.example/avpe_db"
    SecretRedactor.remember(uri)
    text = SecretRedactor.redact(f"failed on {uri}; auth Tr0ub4dor&x rejected")
    assert "Tr0ub4dor" not in text
    assert "mongodb://creator:****@db.example/avpe_db" in text
