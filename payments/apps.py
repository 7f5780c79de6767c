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

        from bookings.demo import provide_demo_payment
        from payments.demo import pay_demo_sale

        # With PAYMENT_REQUIRED on, seed_demo's sales are holds paid at the box office.
        provide_demo_payment(pay_demo_sale)

        from notifications import registry
        from payments.selectors import refund_line
        from tickets.emails import CANCELLATION

        # The cancellation email (tickets.emails) says how the money goes back.
        registry.add_context(CANCELLATION, refund_line)

        from core.schema import operation_errors
        from payments.exceptions import PaymentRequired

        # The booking engine's confirmation asks payments first (payments.hooks): its
        # refusal belongs to the confirm operation's contract, which bookings, never
        # importing payments, cannot declare itself.
        operation_errors("reservations_confirm_create", PaymentRequired)
