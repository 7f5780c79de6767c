"""Conditional GETs for polled reads: an ``ETag``, ``Cache-Control: max-age``, and 304
with no body when the client's ``If-None-Match`` still matches (README, "Polling the
seat map")."""

import hashlib

import orjson
from django.conf import settings
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags


def etag_of_data(data) -> str:
    """A strong validator of a small response from its data: what is rendered is a
    function of the data, so equal data means equal bytes."""
    body = orjson.dumps(data, default=str, option=orjson.OPT_SORT_KEYS)
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def cache_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"max-age={settings.POLL_MAX_AGE_SECONDS}"}


def not_modified(request, etag: str) -> HttpResponseNotModified | None:
    """304 (no body, the same validators) when ``If-None-Match`` names ``etag`` or is
    ``*``; None otherwise. Weak tags compare by their value (RFC 9110's weak comparison,
    which If-None-Match uses)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return None
    tags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    if "*" not in tags and etag not in tags:
        return None
    response = HttpResponseNotModified()
    for name, value in cache_headers(etag).items():
        response[name] = value
    return response
