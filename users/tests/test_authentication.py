"""The JWT authentication reads the user on the primary on every request
(users/authentication.py): the user must be exactly the one the ORM gives."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from testsupport.testing import client_for
from users import authentication
from users.authentication import user_by_pk
from users.models import Role, User
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_by_pk_is_the_orm_user():
    user = UserFactory(first_name="Zoë", last_name="Ünal")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - dt.timedelta(days=1))
    expected = User.objects.get(pk=user.pk)
    loaded = user_by_pk(user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
        assert type(getattr(loaded, field.attname)) is type(getattr(expected, field.attname))
    assert loaded.is_authenticated
    assert not loaded._state.adding
    assert loaded.check_password("Correct-Horse-42")


def test_user_by_pk_unknown_is_none():
    assert user_by_pk(987654321) is None


def test_me_answers_with_the_profile_in_two_queries(django_assert_max_num_queries):
    user = UserFactory()
    client = client_for(user)
    with django_assert_max_num_queries(2):
        response = client.get("/api/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert response.json()["role"] == Role.CUSTOMER


def test_demoted_admin_loses_access_at_once():
    admin = AdminFactory()
    client = client_for(admin)
    assert client.get("/api/users/").status_code == 200
    User.objects.filter(pk=admin.pk).update(role=Role.CUSTOMER)
    assert client.get("/api/users/").status_code == 403


def test_deactivated_user_is_401():
    user = UserFactory()
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/api/users/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_deleted_user_is_401():
    user = UserFactory()
    client = client_for(user)
    User.objects.filter(pk=user.pk).delete()
    response = client.get("/api/users/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


def test_token_without_user_claim_is_401():
    token = AccessToken()
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/users/me/").status_code == 401


# --- verified tokens, kept per process ---------------------------------------------------
def _bearer(token) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_token_is_decoded_once_and_its_expiry_checked_on_every_request(monkeypatch):
    user = UserFactory()
    token = AccessToken.for_user(user)
    client = client_for()
    decodes = []
    real_decode = TokenBackend.decode

    def counting_decode(self, *args, **kwargs):
        decodes.append(1)
        return real_decode(self, *args, **kwargs)

    monkeypatch.setattr(TokenBackend, "decode", counting_decode)

    answers = [client.get("/api/users/me/", **_bearer(token)).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    assert len(decodes) == 1

    # Past its expiry the token is refused, as simplejwt refuses an expired token.
    later = timezone.now() + api_settings.ACCESS_TOKEN_LIFETIME + dt.timedelta(minutes=1)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr(tokens, "aware_utcnow", lambda: later)
    expired = client.get("/api/users/me/", **_bearer(token))
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_not_valid"


def test_a_forged_token_is_refused_even_after_the_real_one_was_verified():
    user = UserFactory()
    token = str(AccessToken.for_user(user))
    client = client_for()
    assert client.get("/api/users/me/", **_bearer(token)).status_code == 200

    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    response = client.get("/api/users/me/", **_bearer(forged))

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_verified_token_still_loses_a_deactivated_user_at_once():
    user = UserFactory()
    token = AccessToken.for_user(user)
    client = client_for()
    assert client.get("/api/users/me/", **_bearer(token)).status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get("/api/users/me/", **_bearer(token)).status_code == 401
