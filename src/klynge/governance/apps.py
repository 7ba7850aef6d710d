from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "klynge.governance"
    label = "governance"
