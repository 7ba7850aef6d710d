from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "klynge.core"
    label = "core"

    def ready(self) -> None:
        from klynge.core import checks  # noqa: F401  (registers the deploy checks)
