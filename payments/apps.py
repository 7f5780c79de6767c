from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self):
        from bookings.reports.selectors import provide_money_figures
        from payments.selectors import money_figures

        # The staff report (bookings.reports) shows money next to ticket revenue; the
        # payments app, which bookings never imports, says how to count it.
        provide_money_figures(money_figures)
