from django.contrib.admin.apps import AdminConfig


class MarqueeAdminConfig(AdminConfig):
    """Django's admin app with our site (config/admin.py) as ``admin.site``."""

    default_site = "config.admin.MarqueeAdminSite"

    def ready(self):
        super().ready()  # imports every app's admin module (autodiscover)
        from django.contrib import admin

        admin.site.unregister_hidden_models()
