"""Background tasks (Django Tasks API): they take primary keys and call services."""

from django_tasks import task

from klynge.dataorders import services


@task()
def send_order_notice(notice_id: int) -> str:
    return services.notice_send(notice_id)
