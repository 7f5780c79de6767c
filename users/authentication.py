"""JWT authentication that reads the user from the primary database on every request.

simplejwt's JWTAuthentication reads the user through the router, and takes any user id
the token carries to the database as it is. This subclass reads the user on the primary
(so a demoted admin or a deactivated account loses access at once, even with a read
replica) with a query prepared once (users/queries.py: every request makes it, and the
ORM's query building was most of its cost), answers a user id that is not a valid
primary key as an unknown user (401, not 500), and leaves the checks after the read
(active account, revoked token) to simplejwt.

It also keeps the access tokens it has verified, by their text, per process: a client
sends one token with many requests, and PyJWT's decode (which prepares the key again on
every call) is then paid once per token. Only the expiry can change for a verified
token, and it is checked on every request. Access tokens have no per-request check
that this would skip (no blacklist: logout blacklists refresh tokens).
"""

import contextlib

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed as DRFAuthenticationFailed
from rest_framework.permissions import SAFE_METHODS
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from core.queries import model_from_row
from users import queries


def user_by_pk(pk):
    """The user with primary key ``pk``, read from the primary, or None."""
    rows = queries.user_by_pk.rows(using=DEFAULT_DB_ALIAS, pk=pk)
    if not rows:
        return None
    values = dict(zip(queries.user_fields(), rows[0], strict=True))
    return model_from_row(get_user_model(), DEFAULT_DB_ALIAS, values)


# Verified access tokens by their text (see the module's docstring); emptied when full.
_VERIFIED: dict[bytes, AccessToken] = {}
_VERIFIED_MAX = 10_000


class UserJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication with the user read by ``user_by_pk``; the checks
    after it (active account, revoked token) are simplejwt's. An access token verified
    before in this process is checked for its expiry only."""

    def get_validated_token(self, raw_token: bytes):
        token = _VERIFIED.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
            except TokenError:
                _VERIFIED.pop(raw_token, None)  # simplejwt answers it below, as ever
            else:
                return token
        token = super().get_validated_token(raw_token)
        if type(token) is AccessToken:
            if len(_VERIFIED) >= _VERIFIED_MAX:
                _VERIFIED.clear()
            _VERIFIED[raw_token] = token
        return token

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


class PublicReadsMixin:
    """For views whose reads are public (the catalogue, the schedule, the seat map): on a
    GET, HEAD or OPTIONS a token that fails authentication (expired, revoked, malformed)
    is ignored and the request is answered as an anonymous one.

    A public read answers everyone alike, so a stale token cannot change what it shows;
    refusing it would break a public page for a visitor whose stored token expired, for
    no gain. Writes on the same views still answer 401 for a bad token, so a client
    learns to refresh where it matters. The schema marks these reads ``security: []``.
    """

    def perform_authentication(self, request):
        if request.method not in SAFE_METHODS:
            return super().perform_authentication(request)
        # DRF makes the request anonymous before it raises.
        with contextlib.suppress(DRFAuthenticationFailed):
            request.user  # noqa: B018 - authenticates
