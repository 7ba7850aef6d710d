"""A worker killed in the middle of sending an e-mail (issue 16): the dispatch is not
lost (it stays queued, its attempt rolled back), `recover_tasks` hands it to a worker
again exactly once after the lease, and the mail arrives once, with the Message-ID it
would always have had.

The kill is deterministic: the test's SMTP server holds the message at DATA until the
real worker process (`manage.py db_worker`) is killed, then refuses it (451), as a
server does with a message whose client went away. PostgreSQL only, like the import
kill test (a second process must reach the test database)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from klynge.meetings import mail
from klynge.meetings.models import Dispatch
from tests.quality.test_worker_faults import on_postgresql, start_worker
from tests.world import build_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class HoldingServer:
    """Holds the first message at DATA until released, then refuses it; takes the rest."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.received: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        if not self.arrived.is_set():
            self.arrived.set()
            while not self.release.is_set():  # the worker is killed meanwhile
                await __import__("asyncio").sleep(0.05)
            return "451 Requested action aborted: the client went away"
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp(settings, monkeypatch):
    server = HoldingServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 30
    for name, value in {
        "KLYNGE_EMAIL_BACKEND": settings.EMAIL_BACKEND,
        "KLYNGE_EMAIL_HOST": "127.0.0.1",
        "KLYNGE_EMAIL_PORT": str(port),
    }.items():
        monkeypatch.setenv(name, value)  # the worker process reads them
    yield server
    server.release.set()
    controller.stop()


@on_postgresql
def test_a_worker_killed_mid_send_loses_no_mail_and_sends_it_once(smtp, settings):
    world = build_world()
    dispatch = Dispatch.objects.create(
        cluster=world.cluster_a,
        kind=Dispatch.Kind.ANNOUNCEMENT,
        recipient="laege@a.test",
        name="Læge A",
    )
    mail.enqueue_all([dispatch])  # on commit: at once in this test

    worker = start_worker()
    try:
        assert smtp.arrived.wait(60), "the worker never reached the mail server"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    smtp.release.set()

    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.QUEUED and dispatch.attempts == 0  # rolled back
    (task,) = DBTaskResult.objects.filter(task_path=mail.SEND_TASK)
    assert task.status == TaskResultStatus.RUNNING  # and would stay so for ever
    assert smtp.received == []

    # Within the lease nothing happens; past it the dispatch is queued again, once.
    assert mail.dispatches_recover() == 0
    later = timezone.now() + dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS + 1)
    assert mail.dispatches_recover(now=later) == 1
    assert mail.dispatches_recover(now=later) == 0
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.SENT and dispatch.attempts == 1
    (message,) = smtp.received
    assert message["To"] == "laege@a.test"
    assert message["Message-ID"] == mail.message_id(dispatch)


def test_a_dispatch_never_handed_to_a_worker_is_recovered(settings):
    """The process died between the commit and handing the dispatch to the worker."""
    world = build_world()
    dispatch = Dispatch.objects.create(
        cluster=world.cluster_a, kind=Dispatch.Kind.ANNOUNCEMENT, recipient="laege@a.test"
    )
    assert not DBTaskResult.objects.exists()
    assert mail.dispatches_recover() == 0  # new: its task may still be on its way
    later = timezone.now() + dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS + 1)
    assert mail.dispatches_recover(now=later) == 1
    (task,) = DBTaskResult.objects.filter(task_path=mail.SEND_TASK)
    assert task.args_kwargs["args"] == [dispatch.pk]
    assert mail.dispatches_recover(now=later) == 0  # it has a task now
    # Sent and failed dispatches are not touched (failures retry with back-off).
    Dispatch.objects.filter(pk=dispatch.pk).update(status=Dispatch.Status.SENT)
    DBTaskResult.objects.all().delete()
    assert mail.dispatches_recover(now=later) == 0
