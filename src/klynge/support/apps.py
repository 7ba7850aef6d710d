from django.apps import AppConfig


class SupportConfig(AppConfig):
    """The national support desk (KNOW-3): news from the secretariat and the regional
    units, and courses with sign-up and a waiting list."""

    name = "klynge.support"
    label = "support"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from klynge.core.permissions import register_role_resolver
        from klynge.demo import dataset
        from klynge.registry.models import Region, RoleAssignment
        from klynge.support.demo import clear_support, generate_support
        from klynge.support.handover import on_role_saved
        from klynge.support.inquiries import steering_roles
        from klynge.support.networks import network_roles

        register_role_resolver(type(None), steering_roles)
        # A region as a coordinator network: its organisers and members (its meetings).
        register_role_resolver(Region, network_roles)
        # A new coordinator's term: the hand-over pack's e-mail (support.handover).
        post_save.connect(on_role_saved, sender=RoleAssignment, dispatch_uid="support-handover")
        dataset.register_extension("support", generate_support, clear_support)
