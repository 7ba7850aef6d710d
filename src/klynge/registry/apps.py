from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "klynge.registry"
    label = "registry"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.registry.models import Cluster
        from klynge.registry.selectors import user_cluster_roles, user_global_roles

        register_role_resolver(Cluster, user_cluster_roles)
        register_role_resolver(type(None), user_global_roles)
