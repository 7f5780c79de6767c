"""JWT authentication that loads the user with one prepared query.

simplejwt's JWTAuthentication reads the user with ``User.objects.get(pk=...)`` on every
request; building that query with the ORM cost a tenth of a booking
(docs/performance.md). This subclass runs the same read - every column of the user row,
from the primary database, on every request, so a demoted admin or a deactivated
account loses access at once - as SQL prepared once per database, and builds the user
with Django's own field converters (``Model.from_db``), exactly as the ORM would.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

# Per database alias: (sql, field names, [(position, converters, column expression)]).
_PREPARED: dict[str, tuple] = {}


def _prepared(model, connection) -> tuple:
    prepared = _PREPARED.get(connection.alias)
    if prepared is None:
        q = connection.ops.quote_name
        fields = model._meta.concrete_fields
        table = model._meta.db_table
        columns = ", ".join(q(field.column) for field in fields)
        # Identifiers only, from the model's metadata; the id is a parameter.
        sql = (
            f"SELECT {columns} FROM {q(table)} "  # noqa: S608
            f"WHERE {q(model._meta.pk.column)} = %s"
        )
        converters = []
        for position, field in enumerate(fields):
            column = field.get_col(table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                converters.append((position, found, column))
        names = [field.attname for field in fields]
        prepared = _PREPARED[connection.alias] = (sql, names, converters)
    return prepared


def user_by_pk(pk):
    """The user with primary key ``pk``, read from the primary, or None."""
    model = get_user_model()
    connection = connections[DEFAULT_DB_ALIAS]
    sql, names, converters = _prepared(model, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, functions, column in converters:
        value = values[position]
        for convert in functions:
            value = convert(value, column, connection)
        values[position] = value
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


class UserJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication with the user read by ``user_by_pk``; the checks
    after it (active account, revoked token) are simplejwt's."""

    def get_user(self, validated_token):
        if self.user_model._meta.pk.name != api_settings.USER_ID_FIELD:
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as e:
            raise InvalidToken(_("Token contained no recognizable user identification")) from e
        try:
            pk = self.user_model._meta.pk.to_python(user_id)
        except ValidationError:
            pk = None
        user = None if pk is None else user_by_pk(pk)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")

        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")

        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user


class UserJWTScheme(SimpleJWTScheme):
    """OpenAPI: the same bearer JWT scheme (``jwtAuth``) as simplejwt's own class."""

    target_class = "users.authentication.UserJWTAuthentication"
