from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic national dataset behind `make demo` and the tests (`dataset.py`):
    the registry's clusters, clinics and doctors, placed around today's date, which each
    domain extends with its own demo data through `dataset.register_extension`. It has
    no models and no pages."""

    name = "klynge.demo"
    label = "demo"
