"""Pricing errors: a ticket type the showtime does not sell, one its movie's age rating
rules out, a voucher that does not apply, a price override out of bounds."""

from core.errors import Conflict, Forbidden, InvalidRequest, ProtectedObject


class UnknownTicketType(InvalidRequest):
    detail = "This showtime's price list has no such ticket type."
    code = "unknown_ticket_type"
    fields = {"ticket_types": list[str]}


class AgeRestricted(InvalidRequest):
    detail = "This ticket type is for people too young for this movie."
    code = "age_restricted"
    fields = {"age_rating": int}


class VoucherInvalid(InvalidRequest):
    detail = "There is no such voucher."
    code = "voucher_invalid"


class VoucherExhausted(Conflict):
    detail = "This voucher has been used as many times as it may be."
    code = "voucher_exhausted"


class VoucherExpired(Conflict):
    detail = "This voucher is no longer valid."
    code = "voucher_expired"


class VoucherNotApplicable(Conflict):
    detail = "This voucher does not apply to these seats."
    code = "voucher_not_applicable"


class PriceOverrideRefused(Forbidden):
    """A price set by hand outside what the seller may give: below the floor, or, for
    anyone but an ADMIN, above the list price."""

    detail = "You may not sell this seat at that price."
    code = "price_override_refused"
    fields = {"lowest": str, "highest": str}


class VoucherInUse(ProtectedObject):
    detail = "Reservations used this voucher; deactivate it instead of deleting it."


class VoucherAttemptsThrottled(Exception):
    """Too many unknown voucher codes from one client: the view answers 429."""
