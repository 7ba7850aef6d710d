"""Background tasks (Django Tasks API): they take primary keys and call services."""

from django_tasks import task

from klynge.packages import stories


@task()
def send_story_notice(notice_id: int) -> str:
    return stories.send_notice(notice_id)
