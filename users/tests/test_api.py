import pytest
from django.core.management import call_command
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from testsupport.testing import client_for, requires_mysql_marks
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Velvet-Curtain-1927"


def register(client, url="/api/auth/register/", **overrides):
    body = {
        "username": "ann",
        "email": "ann@example.com",
        "password": STRONG_PASSWORD,
        **overrides,
    }
    return client.post(url, body, format="json")


def login(client, username, password=DEFAULT_PASSWORD, url="/api/auth/login/", **extra):
    return client.post(url, {"username": username, "password": password}, format="json", **extra)


# --- registration -----------------------------------------------------------------------


def test_register_creates_customer(anon_client):
    response = register(anon_client, first_name="Ann")

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "ann"
    assert body["role"] == "CUSTOMER"
    assert "password" not in body
    user = User.objects.get(username="ann")
    assert user.role == Role.CUSTOMER
    assert user.check_password(STRONG_PASSWORD)


def test_register_ignores_role_and_staff_flags(anon_client):
    response = register(
        anon_client, role="ADMIN", is_staff=True, is_superuser=True, is_active=False
    )

    assert response.status_code == 201
    assert response.json()["role"] == "CUSTOMER"
    user = User.objects.get(username="ann")
    assert (user.role, user.is_staff, user.is_superuser, user.is_active) == (
        Role.CUSTOMER,
        False,
        False,
        True,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"password": "ann-example"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": ""}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"username": 123}, "username"),
        ({"first_name": False}, "first_name"),
    ],
)
def test_register_rejects_bad_input_naming_the_field(anon_client, overrides, field):
    response = register(anon_client, **overrides)

    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_register_rejects_missing_fields(anon_client):
    response = anon_client.post("/api/auth/register/", {}, format="json")

    assert response.status_code == 400
    assert {"username", "email", "password"} <= set(response.json())


def test_register_rejects_taken_username_and_email(anon_client):
    UserFactory(username="ann", email="other@example.com")
    UserFactory(username="bob", email="bob@example.com")

    by_name = register(anon_client)
    by_email = register(anon_client, username="ann2", email="BOB@example.com")

    assert by_name.status_code == 400
    assert "username" in by_name.json()
    assert by_email.status_code == 400
    assert "email" in by_email.json()
    assert User.objects.count() == 2


def test_register_rejects_non_json_body(anon_client):
    response = anon_client.post("/api/auth/register/", "username=ann", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_signup_alias_registers_too(anon_client):
    response = register(anon_client, url="/api/signup/")

    assert response.status_code == 201
    assert User.objects.filter(username="ann", role=Role.CUSTOMER).exists()


# --- login, refresh, logout -------------------------------------------------------------


def test_login_returns_token_pair_that_authenticates(anon_client, customer):
    response = login(anon_client, customer.username)

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    me = anon_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert me.status_code == 200
    assert me.json()["username"] == customer.username


def test_login_alias_works(anon_client, customer):
    assert login(anon_client, customer.username, url="/api/login/").status_code == 200


def test_login_with_wrong_password_is_401(anon_client, customer):
    response = login(anon_client, customer.username, password="wrong-password")

    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


def test_login_of_inactive_user_is_401(anon_client):
    user = UserFactory(is_active=False)

    assert login(anon_client, user.username).status_code == 401


def test_refresh_rotates_and_old_token_cannot_be_reused(anon_client, customer):
    first = login(anon_client, customer.username).json()

    rotated = anon_client.post("/api/auth/refresh/", {"refresh": first["refresh"]}, format="json")
    reused = anon_client.post("/api/auth/refresh/", {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    pair = rotated.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != first["refresh"]
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    # The new refresh token works once more.
    again = anon_client.post("/api/auth/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert again.status_code == 200
    assert BlacklistedToken.objects.count() == 2


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": "not-a-token"}])
def test_refresh_rejects_bad_tokens(anon_client, body):
    response = anon_client.post("/api/auth/refresh/", body, format="json")

    assert response.status_code in (400, 401)
    assert response.json()


def test_refresh_with_an_access_token_is_401(anon_client, customer):
    tokens = login(anon_client, customer.username).json()

    response = anon_client.post("/api/auth/refresh/", {"refresh": tokens["access"]}, format="json")

    assert response.status_code == 401


def test_refresh_of_deactivated_user_is_401(anon_client, customer):
    tokens = login(anon_client, customer.username).json()
    customer.is_active = False
    customer.save()

    response = anon_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401


def test_logout_blacklists_the_refresh_token(anon_client, customer):
    tokens = login(anon_client, customer.username).json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}

    response = anon_client.post(
        "/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json", **auth
    )

    assert response.status_code == 204
    refresh = anon_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401
    twice = anon_client.post(
        "/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json", **auth
    )
    assert twice.status_code == 400
    assert "refresh" in twice.json()


def test_logout_requires_authentication(anon_client, customer):
    tokens = login(anon_client, customer.username).json()

    response = anon_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert not BlacklistedToken.objects.exists()


def test_logout_refuses_another_users_token(anon_client, customer, other_customer):
    others = login(anon_client, other_customer.username).json()

    response = client_for(customer).post(
        "/api/auth/logout/", {"refresh": others["refresh"]}, format="json"
    )

    assert response.status_code == 400
    assert not BlacklistedToken.objects.exists()


def test_garbage_bearer_token_is_401(anon_client):
    response = anon_client.get("/api/users/me/", HTTP_AUTHORIZATION="Bearer garbage")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# --- profile ----------------------------------------------------------------------------


def test_me_shows_own_profile_with_role(customer_client, customer):
    response = customer_client.get("/api/users/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == customer.id
    assert body["email"] == customer.email
    assert body["role"] == "CUSTOMER"


def test_me_patch_updates_profile_but_never_the_role(customer_client, customer):
    response = customer_client.patch(
        "/api/users/me/",
        {"first_name": "Ann", "email": "new@example.com", "role": "ADMIN", "is_staff": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["first_name"] == "Ann"
    assert response.json()["role"] == "CUSTOMER"
    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("Ann", "new@example.com")
    assert (customer.role, customer.is_staff) == (Role.CUSTOMER, False)


def test_me_patch_rejects_taken_email(customer_client, customer, other_customer):
    response = customer_client.patch(
        "/api/users/me/", {"email": other_customer.email.upper()}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()
    customer.refresh_from_db()
    assert customer.email != other_customer.email


def test_me_put_is_not_allowed(customer_client):
    response = customer_client.put("/api/users/me/", {"first_name": "X"}, format="json")

    assert response.status_code == 405


# --- user administration ----------------------------------------------------------------


def test_admin_lists_and_filters_users(admin_client, customer, admin_user):
    response = admin_client.get("/api/users/")
    customers = admin_client.get("/api/users/?role=CUSTOMER")

    assert response.status_code == 200
    assert {u["username"] for u in response.json()["results"]} == {
        customer.username,
        admin_user.username,
    }
    assert [u["username"] for u in customers.json()["results"]] == [customer.username]


def test_admin_promotes_a_customer_who_gains_staff_access(admin_client, customer):
    response = admin_client.patch(f"/api/users/{customer.id}/", {"role": "ADMIN"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "ADMIN"
    customer.refresh_from_db()
    assert (customer.is_staff, customer.is_superuser) == (True, True)
    # The customer's existing token now carries admin rights: roles come from the database.
    assert client_for(customer).get("/api/users/").status_code == 200


def test_demoted_admin_loses_access_with_the_same_token(admin_client):
    colleague = AdminFactory()
    colleague_client = client_for(colleague)
    assert colleague_client.get("/api/users/").status_code == 200

    response = admin_client.patch(
        f"/api/users/{colleague.id}/", {"role": "CUSTOMER"}, format="json"
    )

    assert response.status_code == 200
    colleague.refresh_from_db()
    assert (colleague.role, colleague.is_staff, colleague.is_superuser) == (
        Role.CUSTOMER,
        False,
        False,
    )
    assert colleague_client.get("/api/users/").status_code == 403


def test_admin_cannot_change_own_role(admin_client, admin_user):
    response = admin_client.patch(
        f"/api/users/{admin_user.id}/", {"role": "CUSTOMER"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "own_role_change"
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_admin_role_update_rejects_unknown_role(admin_client, customer):
    response = admin_client.patch(f"/api/users/{customer.id}/", {"role": "GOD"}, format="json")

    assert response.status_code == 400
    assert "role" in response.json()
    customer.refresh_from_db()
    assert customer.role == Role.CUSTOMER


def test_admin_user_detail_of_unknown_user_is_json_404(admin_client):
    response = admin_client.get("/api/users/999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_user_list_page_size_is_capped(admin_client):
    UserFactory.create_batch(105)

    response = admin_client.get("/api/users/?page_size=1000")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 106
    assert len(body["results"]) == 100
    assert body["next"] is not None


def test_createsuperuser_makes_an_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG_PASSWORD)

    call_command(
        "createsuperuser", "--noinput", "--username=root", "--email=root@example.com", verbosity=0
    )

    user = User.objects.get(username="root")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)


def test_admin_role_can_use_the_django_admin_and_customer_cannot(client, admin_user, customer):
    client.force_login(admin_user)
    assert client.get("/admin/cinema/movie/").status_code == 200
    assert client.get("/admin/users/user/").status_code == 200

    client.force_login(customer)
    response = client.get("/admin/cinema/movie/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("page_size", ["0", "-3", "abc", "null"])
def test_invalid_page_size_is_400(admin_client, page_size):
    response = admin_client.get(f"/api/users/?page_size={page_size}")

    assert response.status_code == 400
    assert "page_size" in response.json()


def test_register_race_on_a_taken_name_is_a_field_error_not_a_500():
    """The serializer's check passed, then another sign-up took the name: the unique
    index decides, and the answer is the same 400 naming the field (the handler turns a
    field ValidationError into DRF's field errors)."""
    from django.core.exceptions import ValidationError

    from users import services

    UserFactory(username="ann", email="first@example.com")

    with pytest.raises(ValidationError) as info:
        services.user_register(username="ann", email="second@example.com", password=STRONG_PASSWORD)

    assert "username" in info.value.error_dict
    assert User.objects.filter(username="ann").count() == 1


# --- the seeds' sign-up flows -----------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/signup/"])
def test_register_answers_every_field_and_password_rule_at_once(anon_client, db, path):
    response = anon_client.post(path, {"username": "user1", "password": "pass"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["password"] == [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
    ]
    if path == "/api/auth/register/":
        assert body["email"] == ["This field is required."]
    else:
        assert "email" not in body  # optional on the compatibility route
    assert not User.objects.exists()


@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/signup/"])
def test_register_refuses_a_short_name_that_folds_too_long(anon_client, db, path):
    """Nine U+FDFA are a valid 9-character username, but fold to 162 letters: more than
    username_fold holds (MariaDB refused the row: a 500)."""
    response = register(anon_client, url=path, username="\ufdfa" * 9)

    assert response.status_code == 400
    assert list(response.json()) == ["username"]
    assert "too long" in response.json()["username"][0]
    assert not User.objects.exists()
    assert register(anon_client, url=path, username="\ufdfa" * 8).status_code == 201


@requires_mysql_marks[0]
@requires_mysql_marks[1]
def test_register_race_on_a_name_the_collation_calls_taken_names_the_username(db):
    """MariaDB's utf8mb4_unicode_ci gives letters outside the Basic Multilingual Plane
    one weight, so the Gothic letters ahsa and bairkan (U+10330, U+10331) compare equal,
    while they fold apart. In a sign-up race (the serializer's check passed) a unique
    index refuses the row, and the error must name the username, not the email (the
    folded column compares by the same collation, so its lookup finds the clash)."""
    from django.core.exceptions import ValidationError

    from users import services

    UserFactory(username="\U00010330x", email="first@example.com")

    with pytest.raises(ValidationError) as info:
        services.user_register(
            username="\U00010331x", email="second@example.com", password=STRONG_PASSWORD
        )

    assert list(info.value.error_dict) == ["username"]
    assert User.objects.count() == 1


def test_compat_signup_works_without_an_email(anon_client, db):
    response = anon_client.post(
        "/api/signup/", {"username": "john", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["email"] is None
    second = anon_client.post(
        "/api/signup/", {"username": "jane", "password": "correct-horse-battery", "email": ""}
    )
    assert second.status_code == 201
    assert User.objects.filter(email__isnull=True).count() == 2
    login = anon_client.post(
        "/api/login/", {"username": "john", "password": "correct-horse-battery"}, format="json"
    )
    assert login.status_code == 200


def test_password_similar_to_the_username_is_refused_with_the_other_errors(anon_client, db):
    response = anon_client.post(
        "/api/auth/register/",
        {"username": "johnsmith1", "email": "not-an-email", "password": "johnsmith1"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["email"] == ["Enter a valid email address."]
    assert "The password is too similar to the username." in body["password"]
