"""Typed readers for environment variables, so settings.py states each default once."""

import os
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- EMAIL_URL --------------------------------------------------------------------------
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"


class EmailConfig(NamedTuple):
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


# scheme -> (default port, STARTTLS, implicit TLS)
_SMTP_SCHEMES = {
    "smtp": (25, False, False),
    "submission": (587, True, False),
    "smtp+tls": (587, True, False),
    "smtps": (465, False, True),
    "smtp+ssl": (465, False, True),
}


def email_config(url: str) -> EmailConfig | None:
    """The mail server an ``EMAIL_URL`` names; None for an empty one.

    ``smtp://user:password@host:port`` (plain, port 25), ``submission://`` or
    ``smtp+tls://`` (STARTTLS, 587), ``smtps://`` or ``smtp+ssl://`` (TLS from the
    first byte, 465), ``console://`` (print them). ``?tls=1`` or ``?ssl=1`` switch
    encryption on for any SMTP scheme. User and password are percent-decoded, so a
    password may hold ``@`` or ``:`` as ``%40`` and ``%3A``.
    """
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return EmailConfig(backend=CONSOLE_EMAIL_BACKEND)
    if scheme not in _SMTP_SCHEMES:
        known = ", ".join([*_SMTP_SCHEMES, "console"])
        raise ValueError(f"EMAIL_URL must start with one of {known}, not {parts.scheme!r}")
    default_port, use_tls, use_ssl = _SMTP_SCHEMES[scheme]
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    use_tls = use_tls or query.get("tls", "").lower() in _TRUE
    use_ssl = use_ssl or query.get("ssl", "").lower() in _TRUE
    if use_tls and use_ssl:
        raise ValueError("EMAIL_URL cannot ask for both STARTTLS (tls) and TLS (ssl)")
    if not parts.hostname:
        raise ValueError("EMAIL_URL names no host")
    return EmailConfig(
        backend=SMTP_EMAIL_BACKEND,
        host=parts.hostname,
        port=parts.port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )
