"""Requests that name a voucher, counted per account and per address
(THROTTLE_VOUCHER_RATE, scope ``voucher``): a customer uses a code or two, a guesser
needs thousands. Shared cache, failing open like every throttle (users/throttles.py)."""

from users.throttles import CountingThrottle, _digest


def _names_a_voucher(request) -> bool:
    data = getattr(request, "data", None)
    voucher = data.get("voucher") if hasattr(data, "get") else None
    return isinstance(voucher, str) and bool(voucher.strip())


class VoucherAccountThrottle(CountingThrottle):
    scope = "voucher"

    def ident(self, request) -> str | None:
        user = getattr(request, "user", None)
        if not _names_a_voucher(request) or user is None or not user.is_authenticated:
            return None
        return f"user-{user.pk}"


class VoucherAddressThrottle(CountingThrottle):
    scope = "voucher"

    def ident(self, request) -> str | None:
        if not _names_a_voucher(request):
            return None
        return "ip-" + _digest(self.get_ident(request) or "unknown")


VOUCHER_THROTTLES = (VoucherAccountThrottle, VoucherAddressThrottle)
