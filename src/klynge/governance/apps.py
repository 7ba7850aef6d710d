from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Statutes in dated versions (GOV-5), elections at general assemblies (GOV-2) and
    the founding paperwork (GOV-1)."""

    name = "klynge.governance"
    label = "governance"

    def ready(self) -> None:
        from klynge.demo import dataset
        from klynge.governance.demo import clear_statutes, generate_statutes
        from klynge.governance.selectors import statutes_checklist_item
        from klynge.registry.selectors import register_checklist_item

        register_checklist_item(statutes_checklist_item, before="founding_minutes")
        dataset.register_extension("statutes", generate_statutes, clear_statutes)
