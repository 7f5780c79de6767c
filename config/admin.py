"""The project's admin site: Django's, branded Marquee, with "Tonight" (today's
showtimes, how full, who is inside, the doors; links to sell and to the door) at the top
of its first page, the staff reports page (/admin/reports/) in its dashboard and menu,
and without the tables that mean nothing to a cinema's staff.

Set as the default site by ``config.apps.MarqueeAdminConfig`` (in INSTALLED_APPS in
place of ``django.contrib.admin``), so ``admin.site`` and ``@admin.register`` are this
site everywhere.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils import timezone

from boxoffice import admin_views as counter
from boxoffice import shift_admin_views as till
from core.days import local_zone
from reports.admin_views import export_view, reports_view
from reports.selectors import tonight
from users import roles

# Registered by the apps Marquee uses, but of no use to staff: roles decide what a user
# may do (not groups), and refresh tokens are rotated, blacklisted and expire by
# themselves (logout and rotation in the API). Unregistered once every app's admin
# module has been imported (MarqueeAdminConfig.ready).
HIDDEN_MODELS = (
    "auth.Group",
    "token_blacklist.OutstandingToken",
    "token_blacklist.BlacklistedToken",
)


class MarqueeAdminSite(admin.AdminSite):
    site_header = "Marquee"
    site_title = "Marquee admin"
    index_title = "Cinema administration"
    index_template = "admin/marquee_index.html"

    # The usher's door screen for one showtime (tickets/door.py, outside the admin).
    DOOR_PATH = "/door/?showtime={id}"

    def get_urls(self):
        def page(view):
            return self.admin_view(
                lambda request, *args, **kwargs: view(request, *args, site=self, **kwargs)
            )

        return [
            path("reports/", self.admin_view(self.reports), name="marquee-reports"),
            path(
                "reports/export/sales.csv",
                self.admin_view(self.report_export("sales")),
                name="marquee-report-export-sales",
            ),
            path(
                "reports/export/payments.csv",
                self.admin_view(self.report_export("payments")),
                name="marquee-report-export-payments",
            ),
            path(
                "reports/export/shifts.csv",
                self.admin_view(self.report_export("shifts")),
                name="marquee-report-export-shifts",
            ),
            path("box-office/sell/", page(counter.sell_index), name="marquee-sell-index"),
            path(
                "box-office/sell/<int:showtime_id>/",
                page(counter.sell_showtime),
                name="marquee-sell",
            ),
            path(
                "box-office/sales/<int:reservation_id>/",
                page(counter.sale_view),
                name="marquee-sale",
            ),
            path(
                "box-office/sales/<int:reservation_id>/tickets.pdf",
                page(counter.sale_pdf),
                name="marquee-sale-pdf",
            ),
            path("box-office/shift/open/", page(till.shift_open), name="marquee-shift-open"),
            path(
                "box-office/shifts/<int:shift_id>/close/",
                page(till.shift_close),
                name="marquee-shift-close",
            ),
            path(
                "box-office/shifts/<int:shift_id>/report/",
                page(till.shift_report),
                name="marquee-shift-report",
            ),
            *super().get_urls(),
        ]

    def reports(self, request):
        """Occupancy and revenue per day: money, so ADMIN only."""
        if not request.user.is_admin_role:
            raise PermissionDenied
        return reports_view(request, site=self)

    def report_export(self, kind: str):
        """The reports page's CSV downloads: money, so ADMIN only, as the page."""

        def view(request):
            if not request.user.is_admin_role:
                raise PermissionDenied
            return export_view(request, kind=kind, site=self)

        return view

    def app_index(self, request, app_label, extra_context=None):
        """An app whose tables the user's role may not see is 403, like its tables'
        pages (Django would say 404, as if it did not exist)."""
        if not request.user.has_module_perms(app_label):
            raise PermissionDenied
        return super().app_index(request, app_label, extra_context)

    def index(self, request, extra_context=None):
        """Django's dashboard, with tonight's showtimes above it for every member of
        staff (``tonight`` reads them in one query)."""
        context = {
            "tonight": self.tonight_rows(request),
            "today": timezone.localdate(timezone=local_zone()),
            **(extra_context or {}),
        }
        return super().index(request, context)

    def sell_url(self, showtime_id: int) -> str:
        return reverse(f"{self.name}:marquee-sell", args=[showtime_id])

    def tonight_rows(self, request) -> list[dict]:
        """Today's showtimes with the links this user may follow: Sell for counter staff
        (``roles.SELL``), Door for door staff (``roles.CHECK_IN``)."""
        user = request.user
        may_sell = user.has_perm(roles.SELL)
        may_check_in = user.has_perm(roles.CHECK_IN)
        return [
            {
                "show": show,
                "sell_url": self.sell_url(show.id)
                if may_sell and not show.ended and not show.cancelled
                else None,
                "door_url": self.DOOR_PATH.format(id=show.id) if may_check_in else None,
                "change_url": reverse(f"{self.name}:cinema_showtime_change", args=[show.id]),
            }
            for show in tonight()
        ]

    def get_app_list(self, request, app_label=None):
        """The apps and their models, plus "Reports" (not a model, so Django would not
        list it) in the dashboard and the menu, in alphabetical order like the rest."""
        app_list = super().get_app_list(request, app_label)
        if app_label is None and request.user.is_active:
            if request.user.is_admin_role:
                app_list.append(
                    self._page_entry(
                        "Reports", "reports", "Occupancy and revenue", "marquee-reports"
                    )
                )
            if request.user.has_perm(roles.SELL):
                app_list.append(
                    self._page_entry("Box office", "boxoffice", "Sell", "marquee-sell-index")
                )
            app_list.sort(key=lambda app: app["name"].lower())
        return app_list

    def _page_entry(self, name: str, app_label: str, page: str, url_name: str) -> dict:
        """An entry of the dashboard and the menu for a page that is not a model's."""
        url = reverse(f"{self.name}:{url_name}")
        return {
            "name": name,
            "app_label": app_label,
            "app_url": url,
            "has_module_perms": True,
            "models": [
                {
                    "name": page,
                    "object_name": page.replace(" ", ""),
                    "perms": {"view": True},
                    "admin_url": url,
                    "add_url": None,
                    "view_only": True,
                }
            ],
        }

    def unregister_hidden_models(self):
        from django.apps import apps

        for label in HIDDEN_MODELS:
            try:
                model = apps.get_model(label)
            except LookupError:  # the app is not installed
                continue
            if self.is_registered(model):
                self.unregister(model)
