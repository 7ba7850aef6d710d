from django.apps import AppConfig


class SupportConfig(AppConfig):
    """The national support desk (KNOW-3): news from the secretariat and the regional
    units, and courses with sign-up and a waiting list."""

    name = "klynge.support"
    label = "support"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.demo import dataset
        from klynge.support.demo import clear_support, generate_support
        from klynge.support.inquiries import steering_roles

        register_role_resolver(type(None), steering_roles)
        dataset.register_extension("support", generate_support, clear_support)
