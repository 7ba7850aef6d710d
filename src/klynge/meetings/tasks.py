"""Background tasks (Django Tasks API): they take primary keys and call services."""

from django_tasks import task

from klynge.meetings import mail, services


@task()
def send_dispatch(dispatch_id: int) -> str:
    return mail.send(dispatch_id)


@task()
def send_reminders(meeting_id: int, sequence: int) -> int:
    """Remind the invited of a meeting, unless it changed or was cancelled since."""
    return services.reminders_send(meeting_id=meeting_id, sequence=sequence)
