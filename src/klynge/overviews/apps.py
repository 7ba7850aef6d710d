from django.apps import AppConfig


class OverviewsConfig(AppConfig):
    name = "klynge.overviews"
    label = "overviews"
