from django.apps import AppConfig


class BoxOfficeConfig(AppConfig):
    name = "boxoffice"
    verbose_name = "Box office"
