from django import template

from audit import selectors

register = template.Library()

# An object's History page lists at most this many entries (oldest first); the API
# pages through any number.
HISTORY_LIMIT = 500


@register.simple_tag
def audit_entries(obj):
    """The audit trail of ``obj`` for its History page in the admin."""
    return list(selectors.entries_of(obj)[:HISTORY_LIMIT])


@register.filter
def audit_changes(entry) -> list[tuple[str, object, object]]:
    """(field, before, after) for each field an entry names, in a stable order."""
    keys = list(dict.fromkeys([*entry.before, *entry.after]))
    return [(key, entry.before.get(key, "—"), entry.after.get(key, "—")) for key in keys]
