"""Background tasks (Django Tasks API): they take primary keys and call services."""

from django_tasks import task

from klynge.quality import services
from klynge.quality.models import ImportRun


@task()
def import_run_process(run_id: int, allowed_clinic_ids: list[int] | None = None) -> str:
    run = ImportRun.objects.get(pk=run_id)
    allowed = set(allowed_clinic_ids) if allowed_clinic_ids is not None else None
    return services.import_run_execute(run=run, allowed_clinic_ids=allowed).status
