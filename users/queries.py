"""The user read of every authenticated request, compiled once per database
(core/queries.py): an ordinary queryset, so the ORM stays the one source of truth for
its SQL. users/tests/test_authentication.py checks that it gives the ORM's user."""

import functools

from django.contrib.auth import get_user_model

from core.queries import PreparedQuery


def user_fields() -> tuple[str, ...]:
    """Every column of the user row, as the ORM reads a user."""
    return _fields_of(get_user_model())


@functools.cache
def _fields_of(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


user_by_pk = PreparedQuery(
    "user_by_pk",
    lambda p: get_user_model().objects.filter(pk=p("pk")).order_by().values_list(*user_fields()),
)
