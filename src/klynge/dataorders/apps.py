from django.apps import AppConfig


class DataordersConfig(AppConfig):
    name = "klynge.dataorders"
    label = "dataorders"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.dataorders.models import DataOrder
        from klynge.dataorders.selectors import user_order_roles

        register_role_resolver(DataOrder, user_order_roles)
