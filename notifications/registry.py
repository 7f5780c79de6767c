"""Who renders each kind of outbox message.

An app that writes messages registers a builder per kind, at start-up (its
``AppConfig.ready``): ``builder(message) -> EmailMessage | None``, called by the worker
at delivery, outside any request. None means there is nothing to send (nobody to send
it to, or no longer anything true to say); an exception
counts as a failed attempt (retried, then dead).

Other apps may add to a kind's template context without its builder knowing them
(``add_context``): e.g. the refund shown in a cancellation email comes from whichever
app took the money.
"""

from collections.abc import Callable

from django.core.mail import EmailMessage

Builder = Callable[..., EmailMessage | None]
ContextProvider = Callable[..., dict]

_builders: dict[str, Builder] = {}
_context_providers: dict[str, list[ContextProvider]] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    def decorator(builder: Builder) -> Builder:
        _builders[kind] = builder
        return builder

    return decorator


def builder_for(kind: str) -> Builder:
    try:
        return _builders[kind]
    except KeyError:
        raise LookupError(f"no builder registered for outbox messages of kind {kind!r}") from None


def is_registered(kind: str) -> bool:
    return kind in _builders


def add_context(kind: str, provider: ContextProvider) -> None:
    """``provider(**objects) -> dict`` adds to the template context of ``kind``."""
    providers = _context_providers.setdefault(kind, [])
    if provider not in providers:
        providers.append(provider)


def extra_context(kind: str, **objects) -> dict:
    """What the registered providers add for ``kind`` (called by its builder)."""
    context: dict = {}
    for provider in _context_providers.get(kind, []):
        context.update(provider(**objects) or {})
    return context
