"""Roles and what each may do: the one table that the API's permission classes
(``users.permissions``) and the Django admin (``User.has_perm``) both read.

- ``ADMIN``: everything (the admin's superuser).
- ``CASHIER``: sells at the counter and takes payment there, cancels and refunds
  counter sales, looks bookings up, checks tickets in; reads the schedule.
- ``USHER``: checks tickets in and looks tickets up; nothing else.
- ``CUSTOMER``: the API's own reservations; no admin at all.

Django's permissions are never granted by hand (no groups, no per-user permissions):
``User.has_perm`` answers from ``ROLE_PERMISSIONS``. The strings are Django's
``<app_label>.<codename>``: the models' own ``view_*`` permissions, and the custom ones
the apps declare in their models' ``Meta.permissions``. users/tests/test_role_matrix.py
walks every API operation and admin page for every role.
"""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "ADMIN", "Admin"
    CASHIER = "CASHIER", "Cashier"
    USHER = "USHER", "Usher"
    CUSTOMER = "CUSTOMER", "Customer"


# Who may use the admin site (Django's ``is_staff``).
STAFF_ROLES = frozenset({Role.ADMIN, Role.CASHIER, Role.USHER})

# What a role may do beyond its own bookings. ADMIN may do everything and is not listed.
CHECK_IN = "tickets.check_in"
VIEW_TICKETS = "tickets.view_ticket"
SELL = "bookings.sell_at_counter"
VIEW_RESERVATIONS = "bookings.view_reservation"
CANCEL_COUNTER_SALES = "bookings.cancel_counter_sale"
RESEND_CONFIRMATION = "bookings.resend_confirmation"
# A price set by hand at the counter: down to PRICE_OVERRIDE_FLOOR_PERCENT of the list
# price; above it only with the second (ADMIN alone).
PRICE_BY_HAND = "bookings.price_by_hand"
PRICE_ABOVE_LIST = "bookings.price_above_list"
TAKE_PAYMENT = "payments.take_at_counter"
VIEW_PAYMENTS = "payments.view_payment"
VIEW_SHIFTS = "payments.view_shift"  # their own (payments/admin.py scopes the rows)
VIEW_SHOWTIMES = "cinema.view_showtime"

_USHER = frozenset({CHECK_IN, VIEW_TICKETS, VIEW_SHOWTIMES})
_CASHIER = _USHER | {
    SELL,
    VIEW_RESERVATIONS,
    CANCEL_COUNTER_SALES,
    RESEND_CONFIRMATION,
    PRICE_BY_HAND,
    TAKE_PAYMENT,
    VIEW_PAYMENTS,
    VIEW_SHIFTS,
    "cinema.view_movie",
    "cinema.view_hall",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CASHIER: frozenset(_CASHIER),
    Role.USHER: _USHER,
    Role.CUSTOMER: frozenset(),
}

ROLE_HELP = (
    "Admin: everything, here and in the API. Cashier: sells and takes payment at the "
    "counter, cancels and refunds counter sales, looks bookings up, checks tickets in. "
    "Usher: checks tickets in and looks tickets up. Customer: books through the API; "
    "cannot sign in here."
)


def role_may(role: str, permission: str) -> bool:
    """Whether ``role`` grants ``permission`` (an ``<app_label>.<codename>``)."""
    return role == Role.ADMIN or permission in ROLE_PERMISSIONS.get(role, frozenset())
