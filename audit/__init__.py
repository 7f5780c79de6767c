"""The audit trail (audit/models.py). Services record a staff action with one call::

    import audit
    audit.record(audit.Action.CANCEL, reservation, before={...}, after={...}, actor=by)

The package imports its models lazily, so any app may import it at module level.
"""

from audit.values import changed, snapshot

__all__ = ["changed", "record", "snapshot"]


def record(action, obj, *, before=None, after=None, **kwargs):
    """``audit.services.entry_record``: append one entry for ``action`` on ``obj``."""
    from audit.services import entry_record

    return entry_record(action=action, obj=obj, before=before, after=after, **kwargs)


def __getattr__(name):
    # ``audit.Action`` without importing the models before the app registry is ready.
    if name == "Action":
        from audit.models import Action

        return Action
    raise AttributeError(name)
