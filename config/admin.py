"""The project's admin site: Django's, branded Marquee, with "Tonight" (today's
showtimes, how full, who is inside, the doors; links to sell and to the door) at the top
of its first page, the staff reports page (/admin/reports/) in its dashboard and menu,
and without the tables that mean nothing to a cinema's staff.

Set as the default site by ``config.apps.MarqueeAdminConfig`` (in INSTALLED_APPS in
place of ``django.contrib.admin``), so ``admin.site`` and ``@admin.register`` are this
site everywhere.
"""

from django.contrib import admin
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone

from core.days import local_zone
from reports.admin_views import reports_view
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

    # The counter's Sell screen for one showtime, and the usher's door screen: named by
    # URL (their views are built elsewhere); plain paths if the name is not routed yet.
    SELL_URL_NAME = "marquee-sell"
    SELL_PATH = "/admin/box-office/sell/{id}/"
    DOOR_PATH = "/door/?showtime={id}"

    def get_urls(self):
        return [
            path("reports/", self.admin_view(self.reports), name="marquee-reports"),
            *super().get_urls(),
        ]

    def reports(self, request):
        """Occupancy and revenue per day, for staff only (``admin_view``)."""
        return reports_view(request, site=self)

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
        try:
            return reverse(f"{self.name}:{self.SELL_URL_NAME}", args=[showtime_id])
        except NoReverseMatch:
            return self.SELL_PATH.format(id=showtime_id)

    def tonight_rows(self, request) -> list[dict]:
        """Today's showtimes with the links this user may follow: Sell for counter staff
        (``roles.SELL``), Door for door staff (``roles.CHECK_IN``)."""
        user = request.user
        may_sell = user.has_perm(roles.SELL)
        may_check_in = user.has_perm(roles.CHECK_IN)
        return [
            {
                "show": show,
                "sell_url": self.sell_url(show.id) if may_sell and not show.ended else None,
                "door_url": self.DOOR_PATH.format(id=show.id) if may_check_in else None,
                "change_url": reverse(f"{self.name}:cinema_showtime_change", args=[show.id]),
            }
            for show in tonight()
        ]

    def get_app_list(self, request, app_label=None):
        """The apps and their models, plus "Reports" (not a model, so Django would not
        list it) in the dashboard and the menu, in alphabetical order like the rest."""
        app_list = super().get_app_list(request, app_label)
        if app_label is None and request.user.is_active and request.user.is_staff:
            app_list.append(self._reports_entry())
            app_list.sort(key=lambda app: app["name"].lower())
        return app_list

    def _reports_entry(self) -> dict:
        url = reverse(f"{self.name}:marquee-reports")
        return {
            "name": "Reports",
            "app_label": "reports",
            "app_url": url,
            "has_module_perms": True,
            "models": [
                {
                    "name": "Occupancy and revenue",
                    "object_name": "Report",
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
