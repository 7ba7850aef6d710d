from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "klynge.packages"
    label = "packages"

    def ready(self) -> None:
        from klynge.core.permissions import register_role_resolver
        from klynge.demo import dataset
        from klynge.packages.demo import clear_packages, generate_packages
        from klynge.packages.models import Story
        from klynge.packages.stories import cluster_story_roles

        dataset.register_extension("packages", generate_packages, clear_packages)
        register_role_resolver(Story, cluster_story_roles)
