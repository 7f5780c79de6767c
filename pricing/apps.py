from django.apps import AppConfig


class PricingConfig(AppConfig):
    """What a seat costs: ticket types from the showtime's price list, vouchers, and a
    cashier's price override. The booking engine asks it for every claim's price inside
    its transaction (docs/pricing.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pricing"
    verbose_name = "Prices and vouchers"

    def ready(self):
        from cinema.models import PriceList
        from cinema.signals import price_list_changed
        from pricing.services import forget_ticket_types

        # Staff changed a price list: this process' copy of its ticket types is stale.
        price_list_changed.connect(
            lambda **kwargs: forget_ticket_types(),
            sender=PriceList,
            weak=False,
            dispatch_uid="pricing.forget_ticket_types",
        )
