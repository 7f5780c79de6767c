"""Start-up checks (``manage.py check``, and before every server start)."""

from django.conf import settings
from django.core.checks import Error, register

from payments.gateway import THREE_DECIMAL_CURRENCIES


@register()
def currency_supported(app_configs, **kwargs) -> list[Error]:
    currency = str(settings.CURRENCY).upper()
    if currency in THREE_DECIMAL_CURRENCIES:
        return [
            Error(
                f"CURRENCY={currency} has three decimals; prices here have two, and "
                "Stripe would be asked for a tenth of each price.",
                hint="Use a currency with two decimals or none.",
                id="payments.E001",
            )
        ]
    return []
