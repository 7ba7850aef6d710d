from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "klynge.packages"
    label = "packages"

    def ready(self) -> None:
        from klynge.packages.demo import clear_packages, generate_packages
        from klynge.registry import dataset

        dataset.register_extension("packages", generate_packages, clear_packages)
