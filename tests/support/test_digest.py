"""The news digest by e-mail: opt in, a digest of what the reader may read since the last
one, sent by the task worker through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from klynge.registry.models import Region
from klynge.support import services
from klynge.support.models import DigestMail, DigestSubscription
from tests.world import build_world


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_digest_goes_through_smtp_with_only_what_the_reader_may_read(smtp):
    w = build_world()
    member_a, member_b = w.users["member_a"], w.users["member_b"]
    for user in (member_a, member_b):
        client = Client()
        client.force_login(user)
        assert client.post(reverse("support:digest.subscribe")).status_code == 302
    assert DigestSubscription.objects.count() == 2
    sec = w.users["secretariat"]
    later = timezone.now() + dt.timedelta(seconds=1)
    services.news_publish(
        actor=sec, title="Planlagte kurser", body="Nye hold.", audience="public", published=later
    )
    services.news_publish(
        actor=sec,
        title="Netværksmøde i Sjælland",
        body="x",
        audience="region",
        region=Region.objects.get(code=1085),
        published=later,
    )
    mails = services.digest_queue(now=later + dt.timedelta(seconds=1))
    assert len(mails) == 2
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    by_to = {str(m["To"]): m for m in smtp.messages}
    assert set(by_to) == {"laege@a.test", "laege@b.test"}
    body_a = by_to["laege@a.test"].get_body(preferencelist=("plain",)).get_content()
    body_b = by_to["laege@b.test"].get_body(preferencelist=("plain",)).get_content()
    assert "Planlagte kurser" in body_a and "Netværksmøde i Sjælland" in body_a
    assert "Planlagte kurser" in body_b and "Netværksmøde" not in body_b
    assert "Nyt fra klyngeprogrammet" in str(by_to["laege@a.test"]["Subject"])
    assert set(DigestMail.objects.values_list("status", flat=True)) == {"sent"}
    # Nothing new: no second digest. Unsubscribed: none at all.
    assert services.digest_queue(now=later + dt.timedelta(minutes=1)) == []
    services.digest_unsubscribe(user=member_b)
    services.news_publish(
        actor=sec,
        title="Mere",
        body="x",
        audience="public",
        published=later + dt.timedelta(minutes=2),
    )
    assert len(services.digest_queue(now=later + dt.timedelta(minutes=3))) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_digest_keeps_its_error(settings):
    w = build_world()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    services.digest_subscribe(user=w.users["member_a"])
    services.news_publish(
        actor=w.users["secretariat"],
        title="Nyt",
        body="x",
        audience="public",
        published=timezone.now() + dt.timedelta(seconds=1),
    )
    services.digest_queue(now=timezone.now() + dt.timedelta(seconds=2))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    mail = DigestMail.objects.get()
    assert mail.status == "failed" and "Connection" in mail.last_error


@pytest.mark.django_db
def test_the_daily_command_queues_a_digest_for_each_subscriber_with_news(capsys):
    w = build_world()
    services.digest_subscribe(user=w.users["member_a"])
    services.news_publish(
        actor=w.users["secretariat"],
        title="Planlagte kurser",
        body="Nye hold.",
        audience="public",
        published=timezone.now(),  # after the subscription
    )
    call_command("news_digest")
    assert "News digests queued: 1." in capsys.readouterr().out
    call_command("news_digest")  # nothing new since
    assert "News digests queued: 0." in capsys.readouterr().out
