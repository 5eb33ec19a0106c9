"""The environment a CLI test gives the command: credentials pointing at a fake, and nothing
of the developer's own ``QONTO_*`` variables."""

from __future__ import annotations

import os

from qonto_async.testing import FakeQonto

QONTO_ENV = (
    "QONTO_LOGIN",
    "QONTO_SECRET_KEY",
    "QONTO_ACCESS_TOKEN",
    "QONTO_STAGING_TOKEN",
    "QONTO_BASE_URL",
)


def fake_env(fake: FakeQonto, **extra: str | None) -> dict[str, str | None]:
    """For ``CliRunner().invoke(..., env=...)``: the fake's API key and URL, the other
    credential variables unset, then ``extra``."""
    return {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
        "QONTO_ACCESS_TOKEN": None,
        "QONTO_STAGING_TOKEN": None,
        **extra,
    }


def without_qonto_env() -> dict[str, str]:
    """This process's environment, for a subprocess, without any ``QONTO_*`` credential."""
    return {key: value for key, value in os.environ.items() if key not in QONTO_ENV}
