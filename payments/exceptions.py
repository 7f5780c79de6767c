"""Payment errors: plain domain errors with a machine-readable ``code``; their kind
(core/errors.py) decides the HTTP status."""

from core.errors import Conflict, Forbidden, InvalidRequest, Unavailable, Unprocessable


class PaymentRequired(Conflict):
    detail = "This reservation must be paid to be confirmed: start a checkout."
    code = "payment_required"


class AlreadyPaid(Conflict):
    detail = "This reservation is already paid."
    code = "already_paid"


class TotalMismatch(Conflict):
    """The reservation's total and its seats' prices disagree: it is charged neither."""

    detail = (
        "This reservation's total does not match its seats' prices; it cannot be paid "
        "until staff have corrected it."
    )
    code = "total_mismatch"


class CheckoutInProgress(Conflict):
    detail = "A checkout of this reservation is being started; try again in a moment."
    code = "checkout_in_progress"


class ProviderDisabled(InvalidRequest):
    detail = "Online payment is not enabled on this server; pay at the box office."
    code = "provider_disabled"


class PaymentProviderUnavailable(Unavailable):
    """The provider could not be reached, timed out, or answered with an error of its
    own; nothing was changed on our side."""

    code = "payment_provider_unavailable"
    detail = "The payment provider cannot be reached; try again in a moment."
    retry_after = 5


class PaymentProviderRefused(Unprocessable):
    """The provider answered and refused to start this payment (e.g. an amount below its
    minimum charge): trying again will not help; the hold stays, payable at the box
    office."""

    code = "payment_provider_refused"
    detail = (
        "The payment provider refused this payment (an amount under its minimum charge, "
        "say); pay at the box office."
    )


class InvalidSignature(InvalidRequest):
    detail = "The webhook's Stripe-Signature is missing or does not match."
    code = "invalid_signature"


class InvalidEvent(InvalidRequest):
    detail = "The webhook's body is not a provider event."
    code = "invalid_event"


# --- shifts at the till -------------------------------------------------------------------
class NoOpenShift(Conflict):
    detail = (
        "You have no open shift: open one (with the float in the drawer) before taking "
        "money at the counter."
    )
    code = "no_open_shift"


class ShiftAlreadyOpen(Conflict):
    detail = "You already have an open shift: close it before opening another."
    code = "shift_already_open"


class ShiftClosed(Conflict):
    detail = "This shift is closed; a closed shift never changes."
    code = "shift_closed"


class NotYourShift(Forbidden):
    detail = "Only the shift's cashier or an admin may close it."
    code = "not_your_shift"
