from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "klynge.finance"
    label = "finance"
