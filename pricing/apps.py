from django.apps import AppConfig


class PricingConfig(AppConfig):
    """What a seat costs: ticket types from the showtime's price list, vouchers, and a
    cashier's price override. The booking engine asks it for every claim's price inside
    its transaction (docs/pricing.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pricing"
    verbose_name = "Prices and vouchers"
