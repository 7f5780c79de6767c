"""Accounts: one account per username whatever its case or accents, the login throttle
bound to the account (API and admin login alike), and never fewer than one active
ADMIN (API and Django admin)."""

import pytest
from django.conf import settings
from django.contrib.admin.sites import AdminSite
from django.test import Client

from users import services
from users.admin import UserAdmin
from users.exceptions import LastAdminError
from users.models import Role, User, fold_username
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_LIMIT = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
SPELLINGS = [
    "martina",
    "MARTINA",
    "Martína",
    "mártina",
    "MARTÍNA",
    "\uff4d\uff41\uff52\uff54\uff49\uff4e\uff41",
]  # full-width


def login(client, username, password=None, ip="10.2.0.1"):
    return client.post(
        "/api/auth/login/",
        {"username": username, "password": password or "wrong"},
        format="json",
        REMOTE_ADDR=ip,
    )


# --- one account per folded username --------------------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_fold_username_maps_case_accents_and_width_to_one_form(spelling):
    assert fold_username(spelling) == "martina"


def test_register_refuses_a_name_differing_only_by_case_or_accents(anon_client):
    UserFactory(username="martina")

    for i, spelling in enumerate(["Martina", "martína", "MÁRTINA"]):
        response = anon_client.post(
            "/api/auth/register/",
            {"username": spelling, "email": f"m{i}@example.com", "password": "Velvet-Curtain-1927"},
            format="json",
            REMOTE_ADDR=f"10.3.0.{i}",
        )
        assert response.status_code == 400, response.content
        assert response.json() == {"username": ["A user with that username already exists."]}
    assert User.objects.count() == 1


def test_login_matches_the_username_as_the_database_does(anon_client):
    user = UserFactory(username="martina")

    for i, spelling in enumerate(["MARTINA", "Martína"]):
        response = login(anon_client, spelling, DEFAULT_PASSWORD, ip=f"10.4.0.{i}")
        assert response.status_code == 200, response.content
        assert response.json()["access"]
    # The account itself is one: the folded column is what is unique.
    assert User.objects.get(username_fold="martina") == user


def test_login_throttle_counts_every_spelling_against_the_account(anon_client):
    UserFactory(username="martina")

    statuses = [
        login(anon_client, SPELLINGS[i % len(SPELLINGS)], ip=f"10.5.0.{i}").status_code
        for i in range(LOGIN_LIMIT)
    ]
    right_password_other_spelling = login(anon_client, "MÁRTINA", DEFAULT_PASSWORD, ip="10.5.1.1")

    assert statuses == [401] * LOGIN_LIMIT
    assert right_password_other_spelling.status_code == 429
    assert "access" not in right_password_other_spelling.json()


def test_login_throttle_binds_unknown_names_by_their_folded_form(anon_client):
    for i in range(LOGIN_LIMIT):
        login(anon_client, SPELLINGS[i % len(SPELLINGS)], ip=f"10.6.0.{i}")

    assert login(anon_client, "Martína", ip="10.6.1.1").status_code == 429
    assert login(anon_client, "someone-else", ip="10.6.1.1").status_code == 401


def test_admin_form_refuses_a_username_differing_only_by_accents(client):
    admin_user = AdminFactory(username="boss")
    client.force_login(admin_user)
    customer = UserFactory(username="martina")
    other = UserFactory(username="paula")

    response = client.post(
        f"/admin/users/user/{other.pk}/change/",
        _change_form(other, username="Martína"),
    )

    assert response.status_code == 200  # the form again, with the error
    assert "A user with that username already exists." in response.content.decode()
    other.refresh_from_db()
    assert other.username == "paula"
    assert customer.username == "martina"


# --- the admin's login shares the API's login throttle -------------------------------


def test_admin_login_is_throttled_by_what_the_api_counted(anon_client):
    AdminFactory(username="boss")
    for i in range(LOGIN_LIMIT + 1):
        login(anon_client, f"guess{i}", ip="10.8.0.1")

    client = Client(REMOTE_ADDR="10.8.0.1")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_admin_login_attempts_count_for_the_api_too(anon_client):
    AdminFactory(username="boss")
    client = Client(REMOTE_ADDR="10.9.0.1")
    statuses = [
        client.post("/admin/login/", {"username": "BOSS", "password": "wrong"}).status_code
        for _ in range(LOGIN_LIMIT)
    ]
    # Another address, the right password: the account's bucket is spent.
    api = login(anon_client, "boss", DEFAULT_PASSWORD, ip="10.9.0.2")
    admin_again = Client(REMOTE_ADDR="10.9.0.3").post(
        "/admin/login/", {"username": "boss", "password": DEFAULT_PASSWORD}
    )

    assert statuses == [200] * LOGIN_LIMIT  # the form again, "enter a correct username"
    assert api.status_code == 429
    assert admin_again.status_code == 429


def test_admin_login_still_works_within_the_limit():
    AdminFactory(username="boss")
    client = Client(REMOTE_ADDR="10.10.0.1")

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- the last admin -------------------------------------------------------------------


def _active_admins() -> int:
    return User.objects.filter(role=Role.ADMIN, is_active=True).count()


def test_api_cannot_demote_the_last_other_admin_when_the_caller_lost_the_role(admin_user):
    from testsupport.testing import client_for

    other = AdminFactory()
    caller = client_for(admin_user)
    # The caller was demoted by someone else after their request was authorised.
    User.objects.filter(pk=admin_user.pk).update(role=Role.CUSTOMER)
    with pytest.raises(services.NoLongerAdmin):
        services.user_set_role(user=other, role=Role.CUSTOMER, by=admin_user)

    response = caller.patch(f"/api/users/{other.pk}/", {"role": Role.CUSTOMER}, format="json")
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.role == Role.ADMIN


def test_service_refuses_to_demote_the_last_active_admin():
    only = AdminFactory()
    inactive = AdminFactory(is_active=False)

    with pytest.raises(LastAdminError):
        services.user_admin_change_check(user=only, role=Role.CUSTOMER, is_active=True)
    with pytest.raises(LastAdminError):
        services.user_admin_change_check(user=only, role=Role.ADMIN, is_active=False)
    with pytest.raises(LastAdminError):
        services.users_delete(users=[only])
    # An inactive admin does not count, and may go.
    assert services.users_delete(users=[inactive]) == 1
    assert _active_admins() == 1


def _change_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "role": user.role,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.parametrize(
    "change", [{"role": Role.CUSTOMER}, {"is_active": ""}], ids=["demote", "deactivate"]
)
def test_django_admin_cannot_demote_or_deactivate_the_last_active_admin(client, change):
    boss = AdminFactory(username="boss")
    client.force_login(boss)
    # The only other admin is inactive; "boss" edits themself.
    AdminFactory(is_active=False)

    response = client.post(f"/admin/users/user/{boss.pk}/change/", _change_form(boss, **change))

    assert response.status_code == 200
    assert "This would leave no active admin" in response.content.decode()
    boss.refresh_from_db()
    assert (boss.role, boss.is_active) == (Role.ADMIN, True)


def test_django_admin_can_demote_an_admin_while_another_remains(client):
    boss = AdminFactory(username="boss")
    deputy = AdminFactory(username="deputy")
    client.force_login(boss)

    response = client.post(
        f"/admin/users/user/{deputy.pk}/change/", _change_form(deputy, role=Role.CUSTOMER)
    )

    assert response.status_code == 302, response.content.decode()[:500]
    deputy.refresh_from_db()
    assert deputy.role == Role.CUSTOMER
    assert _active_admins() == 1


def test_django_admin_cannot_delete_the_last_active_admin(client):
    boss = AdminFactory(username="boss")
    client.force_login(boss)

    single = client.post(f"/admin/users/user/{boss.pk}/delete/", {"post": "yes"}, follow=True)
    bulk = client.post(
        "/admin/users/user/",
        {"action": "delete_selected", "_selected_action": [boss.pk], "post": "yes"},
        follow=True,
    )

    assert "This would leave no active admin" in single.content.decode()
    assert "This would leave no active admin" in bulk.content.decode()
    assert "Successfully deleted" not in bulk.content.decode()
    assert User.objects.filter(pk=boss.pk).exists()


def test_django_admin_deletes_customers_in_bulk(client):
    boss = AdminFactory(username="boss")
    client.force_login(boss)
    customers = [UserFactory(), UserFactory()]

    response = client.post(
        "/admin/users/user/",
        {
            "action": "delete_selected",
            "_selected_action": [c.pk for c in customers],
            "post": "yes",
        },
        follow=True,
    )

    assert "Successfully deleted 2 users" in response.content.decode()
    assert User.objects.count() == 1


def test_user_admin_uses_the_guarded_delete_action():
    actions = UserAdmin(User, AdminSite()).get_actions(
        type("Request", (), {"GET": {}, "user": AdminFactory()})()
    )
    assert actions["delete_selected"][0].__name__ == "delete_selected_users"
