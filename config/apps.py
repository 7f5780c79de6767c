from django.contrib.admin.apps import AdminConfig


class MarqueeAdminConfig(AdminConfig):
    """Django's admin app with our site (config/admin.py) as ``admin.site``."""

    default_site = "config.admin.MarqueeAdminSite"
