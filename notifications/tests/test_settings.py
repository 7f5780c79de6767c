import json
import os
import subprocess
import sys

import pytest

from config.env import CONSOLE_EMAIL_BACKEND, SMTP_EMAIL_BACKEND, EmailConfig, email_config


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", None),
        ("console://", EmailConfig(backend=CONSOLE_EMAIL_BACKEND)),
        ("smtp://mail.example.com", EmailConfig(SMTP_EMAIL_BACKEND, "mail.example.com", 25)),
        (
            "submission://tickets%40example.com:p%40ss%3Aword@smtp.example.com",
            EmailConfig(
                SMTP_EMAIL_BACKEND,
                "smtp.example.com",
                587,
                "tickets@example.com",
                "p@ss:word",
                use_tls=True,
            ),
        ),
        (
            "smtps://u:p@smtp.example.com:2465",
            EmailConfig(SMTP_EMAIL_BACKEND, "smtp.example.com", 2465, "u", "p", use_ssl=True),
        ),
        (
            "smtp://relay.local:2525?tls=1",
            EmailConfig(SMTP_EMAIL_BACKEND, "relay.local", 2525, use_tls=True),
        ),
    ],
)
def test_settings_email_url(url, expected):
    assert email_config(url) == expected


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "smtp://", "smtps://host?tls=1", "mailto:someone"]
)
def test_settings_email_url_refuses_what_it_cannot_mean(url):
    with pytest.raises(ValueError, match="EMAIL_URL"):
        email_config(url)


def test_settings_email_from_the_environment():
    """The settings module reads EMAIL_URL, else EMAIL_HOST and friends, else the
    console (run in a fresh interpreter: settings are read once per process)."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, "
        "settings.EMAIL_USE_TLS, settings.DEFAULT_FROM_EMAIL]))"
    )

    def read(**env):
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("EMAIL_") and k != "DEFAULT_FROM_EMAIL"
        }
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script],
            env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    assert read()[0] == CONSOLE_EMAIL_BACKEND
    assert read(EMAIL_URL="submission://smtp.example.com")[:4] == [
        SMTP_EMAIL_BACKEND,
        "smtp.example.com",
        587,
        True,
    ]
    assert read(EMAIL_HOST="relay.local", EMAIL_PORT="2525", DEFAULT_FROM_EMAIL="x@y.z") == [
        SMTP_EMAIL_BACKEND,
        "relay.local",
        2525,
        False,
        "x@y.z",
    ]
