from django.apps import AppConfig


class SupportConfig(AppConfig):
    """The national support desk (KNOW-3): news from the secretariat and the regional
    units, and courses with sign-up and a waiting list."""

    name = "klynge.support"
    label = "support"

    def ready(self) -> None:
        from klynge.registry import dataset
        from klynge.support.demo import clear_support, generate_support

        dataset.register_extension("support", generate_support, clear_support)
