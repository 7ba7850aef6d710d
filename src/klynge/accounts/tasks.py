"""Background tasks (Django Tasks API): they take primary keys and call services."""

from django_tasks import task

from klynge.accounts import services


@task()
def send_invitation(invitation_id: int) -> str:
    return services.invitation_send(invitation_id)


@task()
def apply_handovers() -> int:
    """Hand-overs whose latest date has come happen now (scheduled for that day when a
    hand-over is requested; `manage.py handovers_apply` does the same from cron)."""
    return services.handovers_apply_due()
