"""Background tasks (Django Tasks API): they take primary keys and call services."""

from django_tasks import task

from klynge.support import mail, services


@task()
def send_digest(mail_id: int) -> str:
    return mail.send_digest(mail_id)


@task()
def send_offer(entry_id: int) -> str:
    return mail.send_offer(entry_id)


@task()
def expire_offer(session_id: int) -> int:
    """When an offer runs out: pass its seat on to the next in line."""
    return services.session_refresh(session_id=session_id)


@task()
def queue_digests() -> int:
    """Queue the news digest (daily from cron: `manage.py news_digest`)."""
    return len(services.digest_queue())


@task()
def send_session_planned(interest_id: int, session_id: int) -> str:
    return mail.send_session_planned(interest_id, session_id)


@task()
def send_network_mail(mail_id: int) -> str:
    from klynge.support import networks

    return networks.network_mail_send(mail_id)


@task()
def send_handover_notice(notice_id: int) -> str:
    from klynge.support import handover

    return handover.handover_notice_send(notice_id)
