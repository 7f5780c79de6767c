"""The users admin: an account is username, email, role and password; the role comes
first, nothing that means nothing here is shown, and nothing is silently discarded."""

import pytest
from django.core.exceptions import ValidationError

from users import services
from users.admin import UserAdmin
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/users/user/add/"
PASSWORD = "Seat-Map-2048!"


def _add_form(username, email, role=Role.CUSTOMER, password=PASSWORD) -> dict:
    return {
        "username": username,
        "email": email,
        "role": role,
        "password1": password,
        "password2": password,
    }


def test_admin_adds_users_with_email_and_role(staff_client):
    first = staff_client.post(ADD, _add_form("ticketdesk", "desk@cinema.example", Role.ADMIN))
    second = staff_client.post(ADD, _add_form("martina", "martina@example.com"))

    assert first.status_code == 302 and second.status_code == 302
    desk = User.objects.get(username="ticketdesk")
    martina = User.objects.get(username="martina")
    assert (desk.email, desk.role, desk.is_staff) == ("desk@cinema.example", Role.ADMIN, True)
    assert (martina.email, martina.role, martina.is_staff) == (
        "martina@example.com",
        Role.CUSTOMER,
        False,
    )
    assert martina.check_password(PASSWORD)
    assert first["Location"] == f"/admin/users/user/{desk.pk}/change/"


def test_admin_add_form_asks_for_email_and_role_and_nothing_else(staff_client):
    form = staff_client.get(ADD).context["adminform"].form

    assert list(form.fields) == ["username", "email", "role", "password1", "password2"]
    assert form.fields["email"].required


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com", ""])
def test_admin_add_refuses_a_missing_or_taken_email_with_a_form_error(staff_client, email):
    UserFactory(username="first", email="taken@example.com")

    response = staff_client.post(ADD, _add_form("second", email))

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="second").exists()


def test_admin_add_refuses_a_weak_password_before_creating_anything(staff_client):
    response = staff_client.post(ADD, _add_form("weak", "weak@example.com", password="12345678"))

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="weak").exists()


def test_user_create_turns_a_race_for_an_email_into_a_field_error():
    """Two admins adding the same email at once: the loser meets the unique index and
    gets the field error, not an IntegrityError (a 500 in the admin)."""
    UserFactory(username="first", email="same@example.com")

    with pytest.raises(ValidationError) as error:
        services.user_create(
            username="second", email="same@example.com", password=PASSWORD, role=Role.CUSTOMER
        )

    assert "email" in error.value.error_dict
    assert not User.objects.filter(username="second").exists()


def test_admin_change_form_puts_the_role_first_and_hides_what_means_nothing(staff_client):
    user = UserFactory()

    page = staff_client.get(f"/admin/users/user/{user.pk}/change/")

    form = page.context["adminform"].form
    assert {"is_superuser", "is_staff", "groups", "user_permissions"}.isdisjoint(form.fields)
    first_fieldset = page.context["adminform"].fieldsets[0]
    assert first_fieldset[1]["fields"][:2] == ["username", "role"]
    assert "cannot sign in here" in page.content.decode()


def test_admin_change_cannot_discard_a_posted_flag_silently(staff_client):
    """The superuser flag is not a field any more: an ADMIN is a superuser by role, a
    CUSTOMER never, whatever is posted."""
    user = UserFactory(username="paula")
    data = {
        "username": "paula",
        "email": user.email,
        "role": Role.CUSTOMER,
        "is_active": "on",
        "is_superuser": "on",
        "is_staff": "on",
    }

    response = staff_client.post(f"/admin/users/user/{user.pk}/change/", data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.is_superuser, user.is_staff) == (False, False)


def test_admin_change_refuses_an_email_another_account_has(staff_client):
    UserFactory(email="first@example.com")
    user = UserFactory()
    data = {"username": user.username, "email": "FIRST@example.com", "role": user.role}

    response = staff_client.post(f"/admin/users/user/{user.pk}/change/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A user with that email already exists."
    ]


def test_admin_change_to_an_email_taken_meanwhile_is_an_error_not_a_500(staff_client, monkeypatch):
    """Two staff saving the same email at the same moment: both forms' checks pass, and
    the other account is saved between this form's checks and its save."""
    user = UserFactory(first_name="Paula")
    email = user.email
    check_then_save = UserAdmin.save_model

    def other_staff_save_first(self, request, obj, form, change):
        UserFactory(email="first@example.com")
        check_then_save(self, request, obj, form, change)

    monkeypatch.setattr(UserAdmin, "save_model", other_staff_save_first)
    page = f"/admin/users/user/{user.pk}/change/"
    data = {
        "username": user.username,
        "email": "first@example.com",
        "role": user.role,
        "first_name": "Renamed",
    }

    response = staff_client.post(page, data, follow=True)

    assert response.redirect_chain == [(page, 302)]
    assert "nothing was saved" in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Paula", email)


def test_admin_add_refuses_a_name_that_folds_too_long(staff_client):
    """A hundred ß are a hundred letters (NFKC keeps them) that fold to two hundred
    (ss): more than username_fold holds."""
    response = staff_client.post(ADD, _add_form("ß" * 100, "long@example.com"))

    assert response.status_code == 200
    assert "too long" in response.context["adminform"].form.errors["username"][0]
    assert not User.objects.filter(email="long@example.com").exists()


def test_user_list_filters_by_role_not_by_groups(staff_client):
    response = staff_client.get("/admin/users/user/")

    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert titles == ["role", "active"]
