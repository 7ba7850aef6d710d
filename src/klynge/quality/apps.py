from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_library(sender, **kwargs):
    """Keep the database's indicator library in step with the reviewed YAML files."""
    from klynge.quality.library import indicator_library_sync

    indicator_library_sync()


class QualityConfig(AppConfig):
    name = "klynge.quality"
    label = "quality"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.demo import dataset
        from klynge.quality.demo import clear_values, generate_values
        from klynge.quality.models import ImportRun
        from klynge.quality.selectors import user_import_roles

        register_role_resolver(ImportRun, user_import_roles)
        post_migrate.connect(_sync_library, sender=self)
        dataset.register_extension("indicators", generate_values, clear_values)
