"""Field values as the trail keeps them in ``before`` and ``after`` (JSON)."""

from decimal import Decimal

from django.db import models


def plain(value):
    """A field's value as the trail keeps it: a related object as its id, an amount as
    its exact text; dates and times as ISO text (the JSON encoder)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, fields) -> dict:
    """``obj``'s ``fields`` (names of attributes) as plain values, for before/after."""
    return {name: plain(getattr(obj, name)) for name in fields}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value differs, from both sides."""
    keys = [key for key in after if plain(before.get(key)) != plain(after[key])]
    return (
        {key: plain(before.get(key)) for key in keys},
        {key: plain(after[key]) for key in keys},
    )
