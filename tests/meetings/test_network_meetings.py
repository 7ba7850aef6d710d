"""Meetings of a coordinator network (★): a `Meeting` that belongs to a region's network
instead of a cluster, planned by the region's unit, inviting the network's members on its
day (read from the register) with the same invitations, attendance and minutes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from klynge.core.errors import DomainError
from klynge.core.permissions import has_perm
from klynge.meetings import selectors, services
from klynge.meetings.models import Attendance, Dispatch, Meeting, MeetingKind, MinutesVersion
from klynge.registry import services as registry
from klynge.registry.models import Doctor, Region, RoleKind
from klynge.support import networks
from tests.world import PASSWORD, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
SJAELLAND = 1085


@pytest.fixture
def world(db):
    return build_world()


def _evening(days: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=CPH)


def _plan(world, **fields) -> Meeting:
    return services.network_meeting_create(
        actor=world.users["region_a"],
        network=Region.objects.get(code=SJAELLAND),
        title="Netværksmøde om facilitering",
        **fields,
    )


def test_a_network_meeting_invites_the_networks_members_from_the_register(world):
    meeting = _plan(world, starts=_evening(20), place="Ringsted")
    assert meeting.kind == MeetingKind.NETWORK and meeting.cluster is None
    coordinator = Doctor.objects.get(user=world.users["coordinator_a"])
    assert selectors.invited_doctors(meeting) == [coordinator]
    # A board member who opts in is invited too; nobody keeps a list.
    networks.opt_in(user=world.users["board_a"])
    treasurer = Doctor.objects.get(user=world.users["board_a"])
    assert {d.pk for d in selectors.invited_doctors(meeting)} == {coordinator.pk, treasurer.pk}
    # A new coordinator on the meeting's day replaces the old one.
    newcomer = Doctor.objects.get(user=world.users["member_a"])
    registry.role_assign(
        actor=None,
        cluster=world.cluster_a,
        doctor=newcomer,
        role=RoleKind.COORDINATOR,
        start=timezone.localdate(),
    )
    assert {d.pk for d in selectors.invited_doctors(meeting)} == {newcomer.pk, treasurer.pk}


def test_a_meeting_belongs_to_a_cluster_or_a_network_never_both(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            cluster=world.cluster_a, network=Region.objects.get(code=SJAELLAND), title="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(title="Ingen")


def test_the_networks_organisers_and_members_hold_the_meeting_roles(world):
    meeting = _plan(world, starts=_evening(20))
    users = world.users
    for key in ("region_a", "secretariat"):
        assert has_perm(users[key], "meetings.manage_meeting", meeting), key
        assert has_perm(users[key], "meetings.approve_minutes", meeting), key
    assert has_perm(users["coordinator_a"], "meetings.view_meetings", meeting)
    assert has_perm(users["coordinator_a"], "meetings.answer", meeting)
    assert not has_perm(users["coordinator_a"], "meetings.manage_meeting", meeting)
    for key in ("region_other", "member_a", "member_b", "board_a"):
        assert not has_perm(users[key], "meetings.view_meetings", meeting), key


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_invitation_goes_through_the_worker_with_the_networks_calendar_event(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = build_world()
    networks.opt_in(user=world.users["board_a"])
    meeting = _plan(world, starts=_evening(20), place="Ringsted", template="ordinary")
    sent = services.meeting_invite(actor=world.users["region_a"], meeting=meeting)
    assert sorted(d.recipient for d in sent) == ["kasserer@a.test", "koordinator@a.test"]
    assert all(d.cluster_id is None for d in sent)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Dispatch.objects.filter(meeting=meeting, status="sent").count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["kasserer@a.test", "koordinator@a.test"]
    message = mail.outbox[0]
    page = reverse("support:network.meeting", args=[SJAELLAND, meeting.pk])
    assert page in message.body
    assert "Region Sjælland" in message.body
    ics = next(a for a in message.attachments if a[0] == "invitation.ics")[1]
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["uid"]) == f"{meeting.uid}@klynge"
    assert "Region Sjælland" in str(event["summary"])
    # The organiser is the unit's staff member who planned it: replies go there.
    assert str(event["organizer"]) == "mailto:region@sjaelland.test"


def test_attendance_and_minutes_work_as_for_a_cluster(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    region = world.users["region_a"]
    meeting = _plan(world, starts=timezone.now() - dt.timedelta(hours=3))
    coordinator = Doctor.objects.get(user=world.users["coordinator_a"])
    services.attendance_record(
        actor=region, meeting=meeting, marks={coordinator.pk: ("present", "")}
    )
    outsider = Doctor.objects.get(user=world.users["member_b"])
    with pytest.raises(DomainError):
        services.attendance_record(
            actor=region, meeting=meeting, marks={outsider.pk: ("present", "")}
        )
    item = services.item_save(actor=region, meeting=meeting, title="Erfaringer")
    services.item_notes_save(actor=region, item=item, notes="Gode erfaringer med facilitering.")
    services.decision_add(actor=region, meeting=meeting, item=item, text="Vi mødes igen i maj.")
    services.action_add(actor=region, meeting=meeting, item=item, text="Book lokale")
    # A network's decisions are not drawn on a cluster's charts.
    with pytest.raises(DomainError):
        from klynge.quality.models import Indicator

        services.decision_add(
            actor=region, meeting=meeting, item=item, text="x", indicator=Indicator.objects.first()
        )
    version = services.minutes_approve(actor=region, meeting=meeting, number=1)
    assert version.status == MinutesVersion.Status.APPROVED and version.sha256
    assert version.pdf.name.startswith("meetings/minutes/referat-netvaerk-1085-")
    assert Attendance.objects.get(meeting=meeting).status == "present"
    # The next network meeting takes up the open action; a cluster's meetings do not.
    later = _plan(world, starts=_evening(40))
    assert [a.text for a in selectors.open_actions(meeting=later)] == ["Book lokale"]
    cluster_meeting = services.meeting_create(
        actor=world.users["coordinator_a"], cluster=world.cluster_a, title="Klyngemøde"
    )
    assert selectors.open_actions(meeting=cluster_meeting) == []


def test_the_network_page_lists_its_meetings_and_the_unit_plans_one(world, client):
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    day = timezone.localdate() + dt.timedelta(days=14)
    response = client.post(
        reverse("support:network.meeting.plan", args=[SJAELLAND]),
        {
            "title": "Netværksmøde i Ringsted",
            "day": day.strftime("%d-%m-%Y"),
            "start_time": "16:00",
            "end_time": "18:00",
            "place": "Ringsted",
            "template": "",
        },
    )
    meeting = Meeting.objects.get(network_id=SJAELLAND)
    assert response.status_code == 302
    assert response["Location"] == reverse("support:network.meeting", args=[SJAELLAND, meeting.pk])
    assert timezone.localtime(meeting.starts).hour == 16
    # A member of the network sees it on the network's page and opens it.
    client.logout()
    assert client.login(email=world.users["coordinator_a"].email, password=PASSWORD)
    page = client.get(reverse("support:network", args=[SJAELLAND])).content.decode()
    assert reverse("support:network.meeting", args=[SJAELLAND, meeting.pk]) in page
    assert client.get(response["Location"]).status_code == 200
    # ... and answers that she is coming; the member cannot plan.
    assert (
        client.post(
            reverse("support:network.meeting.rsvp", args=[SJAELLAND, meeting.pk]), {"coming": "yes"}
        ).status_code
        == 302
    )
    assert selectors.rsvp_summary(meeting).coming[0][0].user == world.users["coordinator_a"]
    refused = client.post(
        reverse("support:network.meeting.plan", args=[SJAELLAND]),
        {"title": "Mit eget møde", "template": ""},
    )
    assert refused.status_code == 404
    assert Meeting.objects.filter(network_id=SJAELLAND).count() == 1
    # Another region's network and its meeting: 404, and a cluster's page does not
    # reach a network meeting.
    assert client.get(reverse("support:network", args=[1084])).status_code == 404
    cluster_url = reverse("meetings:detail", args=[world.cluster_a.slug, meeting.pk])
    assert client.get(cluster_url).status_code == 404


def test_an_empty_title_is_refused_on_the_network_page(world, client):
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    response = client.post(
        reverse("support:network.meeting.plan", args=[SJAELLAND]), {"title": " ", "template": ""}
    )
    assert response.status_code == 400
    assert not Meeting.objects.filter(network_id=SJAELLAND).exists()


def test_the_unit_runs_a_held_meeting_from_its_page(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    meeting = _plan(world, starts=timezone.now() - dt.timedelta(hours=3))
    coordinator = Doctor.objects.get(user=world.users["coordinator_a"])
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    args = [SJAELLAND, meeting.pk]

    def post(name, data=None, *extra):
        return client.post(reverse(f"support:network.meeting.{name}", args=[*args, *extra]), data)

    assert post("item.add", {"title": "Erfaringsudveksling"}).status_code == 302
    item = meeting.items.get()
    assert post("attendance", {f"status-{coordinator.pk}": "present"}).status_code == 302
    assert post("notes", {"notes": "Godt møde."}, item.pk).status_code == 302
    assert post("decision.add", {"text": "Næste møde i maj."}, item.pk).status_code == 302
    assert post("action.add", {"text": "Book lokale", "due": ""}, item.pk).status_code == 302
    refused = post("action.add", {"text": "Uden dato", "due": "31-02-2027"}, item.pk)
    assert refused.status_code == 400 and meeting.actions.count() == 1
    page = client.get(reverse("support:network.meeting", args=args)).content.decode()
    assert "Godt møde." in page and "Næste møde i maj." in page and 'data-present="1"' in page
    assert post("approve", None, 1).status_code == 302
    version = meeting.minutes.get()
    assert version.status == MinutesVersion.Status.APPROVED
    pdf = client.get(reverse("support:network.meeting.pdf", args=[*args, 1]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Locked: a later edit is refused with the page again, nothing changed.
    assert post("notes", {"notes": "Ændret"}, item.pk).status_code == 400
    item.refresh_from_db()
    assert item.notes == "Godt møde."
