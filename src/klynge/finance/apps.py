from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "klynge.finance"
    label = "finance"

    def ready(self) -> None:
        from klynge.demo import dataset
        from klynge.finance.demo import clear_books, generate_books

        dataset.register_extension("books", generate_books, clear_books)
