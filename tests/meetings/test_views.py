"""Meeting pages: planning, the poll, invitations, agenda, attendance, minutes and their
lock, exports, the activity report, announcements and evaluations, seen by the roles
that use them (and refused, with 404 and no change, to those that do not)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from klynge.meetings import documents, services
from klynge.meetings.models import (
    Action,
    AgendaAttachment,
    Announcement,
    Attendance,
    Dispatch,
    EvaluationReceipt,
    EvaluationResponse,
    Meeting,
    MeetingKind,
    MinutesVersion,
    PollAnswer,
)
from klynge.quality.models import Indicator, Intervention
from klynge.registry.models import Doctor
from tests.world import PASSWORD, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
LOCKED = "The minutes are approved and locked. Start a correction to change them."

pytestmark = pytest.mark.django_db


def evening(days: int, hour: int = 17) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def doctors(w) -> list[Doctor]:
    return list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))


@pytest.fixture
def as_user(w):
    """`as_user("member_a")`: a test client of its own, logged in as that role, in English."""

    def login(role: str) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        user = w.users[role]
        if user is not None:
            assert client.login(email=user.email, password=PASSWORD)
        return client

    return login


def meeting(w, days: int | None = 20, **fields) -> Meeting:
    fields.setdefault("title", "Antibiotika i vinterhalvåret")
    if days is not None:
        fields.setdefault("starts", evening(days))
    return services.meeting_create(actor=None, cluster=w.cluster_a, **fields)


def url(name: str, m: Meeting, *args) -> str:
    return reverse(f"meetings:{name}", args=[m.cluster.slug, m.pk, *args])


def election_url(m: Meeting) -> str:
    return reverse("governance:election.record", args=[m.cluster.slug, m.pk])


def text(response) -> str:
    return response.content.decode()


def streamed(response) -> bytes:
    # The client's wrapper closes the response once the content is read (closing it a
    # second time would close the database connection under the test's transaction).
    return b"".join(response.streaming_content)


# --- Planning ---------------------------------------------------------------------------


def test_the_coordinator_plans_a_meeting_and_is_sent_to_it(w, doctors, as_user):
    client = as_user("coordinator_a")
    opioids = Indicator.objects.get(code="opioids")
    create = reverse("meetings:create", args=[w.cluster_a.slug])
    assert client.get(create).status_code == 200
    response = client.post(
        reverse("meetings:meeting.create", args=[w.cluster_a.slug]),
        {
            "title": "Opioider  i almen praksis",
            "kind": "cluster",
            "day": "24-12-2030",
            "start_time": "17:00",
            "end_time": "19:30",
            "place": "Køge Lægehus 1",
            "video_url": "https://video.example/moede",
            "catering": "Sandwich",
            "host_model": "member",
            "host": doctors[4].pk,
            "guest_clusters": [],
            "indicators": [opioids.pk],
            "template": "ordinary",
        },
    )
    m = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", m)
    assert m.title == "Opioider i almen praksis"
    assert m.starts == dt.datetime(2030, 12, 24, 17, 0, tzinfo=CPH)
    assert m.ends == dt.datetime(2030, 12, 24, 19, 30, tzinfo=CPH)
    assert (m.place, m.catering, m.host, m.host_model) == (
        "Køge Lægehus 1",
        "Sandwich",
        doctors[4],
        "member",
    )
    assert list(m.indicators.all()) == [opioids]
    assert m.items.count() == 7 and m.created_by == w.users["coordinator_a"]

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Opioider i almen praksis" in text(page)
    assert "Theme of the meeting" in text(page)


def test_a_meeting_that_ends_before_it_starts_is_shown_again_with_the_error(w, as_user):
    client = as_user("coordinator_a")
    response = client.post(
        reverse("meetings:meeting.create", args=[w.cluster_a.slug]),
        {
            "title": "Forkert tid",
            "kind": "cluster",
            "day": "24-12-2030",
            "start_time": "17:00",
            "end_time": "16:00",
            "host_model": "coordinator",
            "template": "",
        },
    )
    assert response.status_code == 400
    assert "The meeting must end after it starts." in text(response)
    assert not Meeting.objects.exists()

    # A day without a start time is refused by the form.
    response = client.post(
        reverse("meetings:meeting.create", args=[w.cluster_a.slug]),
        {"title": "Uden tid", "kind": "cluster", "day": "24-12-2030", "host_model": "coordinator"},
    )
    assert response.status_code == 400
    assert "Give the time the meeting starts." in text(response)
    assert not Meeting.objects.exists()


def test_the_detail_page_shows_the_agenda_and_the_carried_actions(w, doctors, as_user):
    earlier = meeting(w, days=-14, title="Januarmødet")
    services.action_add(
        actor=None, meeting=earlier, text="Ring til apoteket om dosisdispensering", owner=doctors[4]
    )
    later = meeting(w, days=14, template="ordinary", title="Februarmødet")
    for role in ("member_a", "coordinator_a", "region_a"):
        page = as_user(role).get(url("detail", later))
        assert page.status_code == 200, role
        body = text(page)
        assert "Follow-up on actions from earlier meetings" in body
        assert "Ring til apoteket om dosisdispensering" in body
        assert "Januarmødet" in body
        assert "Theme of the meeting" in body


def test_a_change_of_plan_after_the_invitation_sends_updates(w, doctors, as_user):
    m = meeting(w, days=30)
    client = as_user("coordinator_a")
    response = client.post(url("invite.send", m))
    assert response.status_code == 302
    assert m.dispatches.filter(kind=Dispatch.Kind.INVITATION).count() == 3
    day = (timezone.localdate() + dt.timedelta(days=31)).strftime("%d-%m-%Y")
    response = client.post(
        url("meeting.update", m),
        {
            "title": m.title,
            "kind": "cluster",
            "day": day,
            "start_time": "16:00",
            "end_time": "18:00",
            "host_model": "coordinator",
        },
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.sequence == 1 and timezone.localtime(m.starts).hour == 16
    assert m.dispatches.filter(kind=Dispatch.Kind.UPDATE, sequence=1).count() == 3


def test_the_host_member_manages_the_meeting_they_host(w, doctors, as_user):
    hosted = meeting(w, host_model="member", host=doctors[4])
    other = meeting(w, title="Ikke værtsmøde")
    client = as_user("member_a")
    for name in ("edit", "agenda", "attendance"):
        assert client.get(url(name, hosted)).status_code == 200, name
        assert client.get(url(name, other)).status_code == 404, name
    response = client.post(url("agenda.item.add", hosted), {"title": "Mit oplæg"})
    assert response.status_code == 302
    assert hosted.items.get().title == "Mit oplæg"


def test_only_an_editor_invites(w, as_user):
    m = meeting(w, days=10)
    assert as_user("member_a").post(url("invite.send", m)).status_code == 404
    assert as_user("region_a").post(url("invite.send", m)).status_code == 404
    assert not m.dispatches.exists()
    assert as_user("secretariat").post(url("invite.send", m)).status_code == 302
    assert m.dispatches.count() == 3


def test_an_invitation_inside_the_notice_period_is_refused_with_the_dates(w, as_user):
    ga = meeting(w, days=5, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    response = as_user("coordinator_a").post(url("invite.send", ga))
    assert response.status_code == 400
    assert "The statutes require notice by" in text(response)
    assert not ga.dispatches.exists()


# --- Date poll --------------------------------------------------------------------------


def test_a_member_answers_the_poll_and_only_an_editor_closes_it(w, doctors, as_user):
    m = meeting(w, days=None)
    s1, s2 = services.poll_open(
        actor=None,
        meeting=m,
        slots=[(evening(20), evening(20, 19)), (evening(21), evening(21, 19))],
        notify=False,
    )
    member = as_user("member_a")
    page = member.get(url("detail", m))
    assert f'name="slot-{s1.pk}"' in text(page)

    response = member.post(url("poll.answer", m), {f"slot-{s1.pk}": "yes", f"slot-{s2.pk}": "no"})
    assert response.status_code == 302 and response["Location"] == url("detail", m)
    answers = dict(PollAnswer.objects.filter(doctor=doctors[4]).values_list("slot_id", "answer"))
    assert answers == {s1.pk: "yes", s2.pk: "no"}
    member.post(url("poll.answer", m), {f"slot-{s2.pk}": "if_need_be"})
    assert PollAnswer.objects.get(doctor=doctors[4], slot=s2).answer == "if_need_be"
    assert PollAnswer.objects.count() == 2

    # A member cannot offer dates or close the poll; region staff cannot answer.
    assert member.post(url("poll.close", m, s1.pk)).status_code == 404
    assert member.post(url("poll.slot.add", m)).status_code == 404
    region = as_user("region_a")
    assert region.post(url("poll.answer", m), {f"slot-{s1.pk}": "yes"}).status_code == 404
    m.refresh_from_db()
    assert m.starts is None and m.poll_closed_at is None

    coordinator = as_user("coordinator_a")
    response = coordinator.post(url("poll.close", m, s1.pk))
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.starts == s1.starts and m.invited_at is not None
    assert m.dispatches.filter(kind=Dispatch.Kind.INVITATION).count() == 3


def test_an_editor_offers_a_date_through_the_poll_form(w, as_user):
    m = meeting(w, days=None)
    client = as_user("board_a")
    day = (timezone.localdate() + dt.timedelta(days=12)).strftime("%d-%m-%Y")
    response = client.post(
        url("poll.slot.add", m), {"day": day, "start_time": "17:00", "end_time": "19:00"}
    )
    assert response.status_code == 302
    assert m.slots.count() == 1
    # Offering a date sends nothing: the poll goes out with all its dates at once.
    assert not m.dispatches.exists()
    assert client.post(url("poll.send", m)).status_code == 302
    assert m.dispatches.filter(kind=Dispatch.Kind.POLL).count() == 3


@pytest.mark.parametrize(
    "write, data, message",
    [
        ("poll.answer", {"slot-{slot}": "maybe"}, "Answer yes, if need be or no for each date."),
        (
            "poll.slot.add",
            {"day": "24-12-2030", "start_time": "19:00", "end_time": "17:00"},
            "The meeting must end after it starts.",
        ),
    ],
    ids=["bad-answer", "slot-ending-before-it-starts"],
)
def test_a_refused_poll_post_is_shown_again_with_the_message(w, as_user, write, data, message):
    m = meeting(w, days=None)
    [slot] = services.poll_open(
        actor=None, meeting=m, slots=[(evening(20), evening(20, 19))], notify=False
    )
    data = {k.format(slot=slot.pk): v for k, v in data.items()}
    response = as_user("coordinator_a").post(url(write, m), data)
    assert response.status_code == 400
    assert message in text(response)
    assert m.slots.count() == 1 and not PollAnswer.objects.exists()


# --- Another cluster --------------------------------------------------------------------


def test_a_member_of_another_cluster_gets_404_and_changes_nothing(w, as_user):
    m = meeting(w, days=-3, template="ordinary")
    item = m.items.first()
    client = as_user("member_b")
    for name in ("detail", "edit", "minutes", "agenda", "attendance", "evaluation"):
        assert client.get(url(name, m)).status_code == 404, name
    response = client.post(url("minutes.notes", m, item.pk), {"notes": "Hacket"})
    assert response.status_code == 404
    assert client.post(url("minutes.approve", m, 1)).status_code == 404
    assert client.post(url("agenda.item.delete", m, item.pk)).status_code == 404
    # Nor does A's coordinator reach B's meeting's item through A's meeting.
    b_meeting = services.meeting_create(
        actor=None, cluster=w.cluster_b, title="B", template="ordinary"
    )
    b_item = b_meeting.items.first()
    coordinator = as_user("coordinator_a")
    assert coordinator.post(url("agenda.item.delete", m, b_item.pk)).status_code == 404
    response = coordinator.post(url("minutes.notes", m, b_item.pk), {"notes": "Hacket"})
    assert response.status_code == 404
    assert b_meeting.items.count() == 7 and b_meeting.items.filter(notes="").count() == 7
    item.refresh_from_db()
    assert item.notes == "" and m.items.count() == 7
    assert not m.minutes.exists()
    # Nor is A's meeting reached through B's address.
    b_url = reverse("meetings:detail", args=[w.cluster_b.slug, m.pk])
    assert client.get(b_url).status_code == 404
    assert as_user("coordinator_a").get(b_url).status_code == 404


def test_a_joint_meeting_is_open_to_the_guest_clusters_members(w, as_user):
    joint = meeting(w, days=None, kind=MeetingKind.JOINT, guest_clusters=[w.cluster_b])
    [slot] = services.poll_open(
        actor=None, meeting=joint, slots=[(evening(20), evening(20, 19))], notify=False
    )
    client = as_user("member_b")
    assert client.get(url("detail", joint)).status_code == 200
    response = client.post(url("poll.answer", joint), {f"slot-{slot.pk}": "yes"})
    assert response.status_code == 302
    assert PollAnswer.objects.filter(slot=slot).count() == 1
    assert client.get(url("edit", joint)).status_code == 404
    assert as_user("doctor_free").get(url("detail", joint)).status_code == 404


def test_the_guest_clusters_list_links_to_a_joint_meeting_that_opens(w, as_user):
    joint = meeting(w, days=10, kind=MeetingKind.JOINT, guest_clusters=[w.cluster_b])
    client = as_user("member_b")
    page = client.get(reverse("meetings:list", args=[w.cluster_b.slug]))
    assert joint.title in text(page)
    link = reverse("meetings:detail", args=[w.cluster_b.slug, joint.pk])
    working = url("detail", joint)
    assert link not in text(page)
    assert working in text(page)


# --- Agenda and attachments -------------------------------------------------------------


def test_the_agenda_is_built_and_files_attached_and_downloaded(w, as_user):
    m = meeting(w)
    client = as_user("coordinator_a")
    assert client.post(url("agenda.template", m), {"template": "first"}).status_code == 302
    assert m.items.count() == 7
    first, second = list(m.items.all())[:2]
    assert client.post(url("agenda.item.move", m, first.pk, "down")).status_code == 302
    assert list(m.items.all())[:2] == [second, first]
    response = client.post(
        url("agenda.item.attach", m, first.pk),
        {"file": SimpleUploadedFile("Data.pdf", b"%PDF-1.4 x")},
    )
    assert response.status_code == 302
    attachment = AgendaAttachment.objects.get()
    download = as_user("member_a").get(url("attachment", m, attachment.pk))
    assert download.status_code == 200
    assert streamed(download) == b"%PDF-1.4 x"

    # A file whose content is not what its name says is refused.
    response = client.post(
        url("agenda.item.attach", m, first.pk),
        {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")},
    )
    assert response.status_code == 400
    assert "does not match its type .pdf" in text(response)
    assert AgendaAttachment.objects.count() == 1

    assert client.post(url("agenda.item.delete", m, first.pk)).status_code == 302
    assert m.items.count() == 6


# --- Attendance -------------------------------------------------------------------------


@pytest.fixture
def held(w, doctors):
    """A meeting held a week ago, with attendance, a guest and the ordinary agenda."""
    m = meeting(w, days=-7, template="ordinary", title="Afholdt møde")
    services.attendance_record(
        actor=None,
        meeting=m,
        marks={
            **{d.pk: ("present", "") for d in doctors[:4]},
            doctors[4].pk: ("excused", "Syg; feber"),
            doctors[5].pk: ("absent", ""),
        },
    )
    services.guest_add(actor=None, meeting=m, name="Ida Gæst", kind="trainee", organisation="KBU")
    return m


def test_attendance_is_registered_on_its_page(w, doctors, as_user):
    m = meeting(w, days=-1)
    data = {f"status-{doctors[0].pk}": "present", f"reason-{doctors[0].pk}": "x"}
    data |= {f"status-{doctors[1].pk}": "excused", f"reason-{doctors[1].pk}": " Kursus "}
    response = as_user("board_a").post(url("attendance.record", m), data)
    assert response.status_code == 302
    got = {a.doctor_id: (a.status, a.reason) for a in m.attendance.all()}
    assert got == {doctors[0].pk: ("present", ""), doctors[1].pk: ("excused", "Kursus")}
    assert as_user("member_a").post(url("attendance.record", m), data).status_code == 404


def test_the_quorum_shows_on_a_general_assemblys_attendance_page(w, doctors, as_user):
    ga = meeting(w, days=-1, kind=MeetingKind.GENERAL_ASSEMBLY)
    services.attendance_record(
        actor=None, meeting=ga, marks={d.pk: ("present", "") for d in doctors[:3]}
    )
    page = as_user("coordinator_a").get(url("attendance", ga))
    assert "3 of 6 members present." in text(page)
    assert "The statutes set no quorum." in text(page)


def test_the_attendance_list_exports_as_csv_and_pdf(w, held, as_user):
    # The coordinator's list says why a doctor was excused ...
    response = as_user("coordinator_a").get(url("attendance.export", held, "csv"))
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Name;Clinic;Status;Reason for absence"  # the interface is English
    assert all(len(line.split(";")) == 4 for line in lines if "Syg" not in line)
    assert any(line.endswith('"Syg; feber"') for line in lines)  # quoted: it holds a ;

    # ... a member's has no reasons (tests/privacy/test_small_groups.py).
    client = as_user("member_a")
    response = client.get(url("attendance.export", held, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM, for Excel
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Name;Clinic;Status"
    assert len(lines) == 1 + 6 + 1  # the six members and the guest
    assert all(len(line.split(";")) == 3 for line in lines)
    assert "Syg" not in response.content.decode("utf-8-sig")
    assert lines[-1].startswith("Ida Gæst;KBU;")

    pdf = client.get(url("attendance.export", held, "pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.get(url("attendance.export", held, "xlsx")).status_code == 404


# --- Minutes ----------------------------------------------------------------------------


def test_minutes_are_written_approved_and_corrected_through_the_page(w, doctors, held, as_user):
    item = held.items.first()
    opioids = Indicator.objects.get(code="opioids")
    client = as_user("coordinator_a")
    minutes = url("minutes", held)
    r = client.post(url("minutes.notes", held, item.pk), {"notes": "Godkendt."})
    assert r.status_code == 302
    r = client.post(
        url("decision.add", held, item.pk),
        {"text": "Færre opioider", "indicator": opioids.pk},
    )
    assert r.status_code == 302
    r = client.post(
        url("action.add", held, item.pk),
        {
            "text": "Ring",
            "owner": doctors[4].pk,
            "due": "01-02-2031",
        },
    )
    assert r.status_code == 302
    action = Action.objects.get()
    assert (action.owner, action.due) == (doctors[4], dt.date(2031, 2, 1))
    assert Intervention.objects.get().meeting_ref.startswith("Afholdt møde")

    # Members read the minutes but do not write or approve them.
    member = as_user("member_a")
    assert member.get(minutes).status_code == 200
    assert member.post(url("minutes.notes", held, item.pk), {"notes": "X"}).status_code == 404
    assert member.post(url("minutes.approve", held, 1)).status_code == 404

    board = as_user("board_a")
    assert board.post(url("minutes.approve", held, 1)).status_code == 302
    version = MinutesVersion.objects.get()
    assert version.status == "approved" and version.approved_by == w.users["board_a"]
    pdf = member.get(url("minutes.pdf", held, 1))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert streamed(pdf).startswith(b"%PDF")
    assert member.get(url("minutes.pdf", held, 2)).status_code == 404

    board = as_user("board_a")
    assert board.post(url("minutes.correct", held), {"reason": "Stavefejl"}).status_code == 302
    assert held.minutes.filter(number=2, status="draft").exists()
    # A draft version is not downloadable.
    assert board.get(url("minutes.pdf", held, 2)).status_code == 404


def test_the_minutes_page_shows_decisions_and_actions_outside_the_items(w, held, as_user):
    client = as_user("coordinator_a")
    services.decision_add(actor=None, meeting=held, text="Løs beslutning")
    services.action_add(actor=None, meeting=held, text="Løs aktion")
    page = client.get(url("minutes", held))
    assert "Løs beslutning" in text(page) and "Løs aktion" in text(page)


def test_posting_to_approved_minutes_is_refused_with_the_locked_message(w, held, as_user):
    item = held.items.first()
    services.item_notes_save(actor=None, item=item, notes="Oprindeligt")
    services.minutes_approve(actor=None, meeting=held)
    client = as_user("coordinator_a")
    for write, data in (
        ("minutes.notes", {"notes": "Ændret"}),
        ("decision.add", {"text": "Ny beslutning"}),
        ("action.add", {"text": "Ny aktion"}),
    ):
        response = client.post(url(write, held, item.pk), data)
        assert response.status_code == 400, write
        assert LOCKED in text(response)
    response = client.post(url("guest.add", held), {"name": "Ny", "kind": "staff"})
    assert response.status_code == 400 and LOCKED in text(response)
    response = client.post(url("agenda.item.add", held), {"title": "Nyt punkt"})
    assert response.status_code == 400 and LOCKED in text(response)
    # Approving the approved version again changes nothing and says so.
    response = client.post(url("minutes.approve", held, 1), follow=True)
    assert "These minutes are already approved." in text(response)

    item.refresh_from_db()
    assert item.notes == "Oprindeligt"
    assert not held.decisions.exists() and not held.actions.exists()
    assert held.guests.count() == 1 and held.items.count() == 7
    assert held.minutes.count() == 1


def test_an_action_is_followed_up_after_approval(w, held, as_user):
    action = services.action_add(actor=None, meeting=held, text="Ring til kommunen")
    services.minutes_approve(actor=None, meeting=held)
    later = meeting(w, days=10, title="Næste møde")
    client = as_user("coordinator_a")
    status_url = url("action.status", later, action.pk)
    assert as_user("member_a").post(status_url, {"status": "done"}).status_code == 404
    client = as_user("coordinator_a")
    response = client.post(status_url, {"status": "done", "next": url("agenda", later)})
    assert response.status_code == 302 and response["Location"] == url("agenda", later)
    action.refresh_from_db()
    assert action.status == "done" and action.closed_on == timezone.localdate()
    response = client.post(status_url, {"status": "bogus", "next": "https://evil.example/"})
    assert response["Location"] == url("detail", later)
    action.refresh_from_db()
    assert action.status == "done"


def test_the_action_status_redirect_stays_on_the_site(w, held, as_user):
    action = services.action_add(actor=None, meeting=held, text="Ring")
    response = as_user("coordinator_a").post(
        url("action.status", held, action.pk), {"status": "done", "next": "//evil.example/x"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", held)


def test_an_election_is_recorded_from_the_minutes_of_a_general_assembly(w, doctors, as_user):
    ga = meeting(w, days=-2, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    client = as_user("coordinator_a")
    page = client.get(url("minutes", ga))
    assert "Record the election" in text(page)
    response = client.post(election_url(ga), {"role": "chair", "doctor": doctors[4].pk})
    assert response.status_code == 302
    [election] = ga.elections.all()
    assert election.start == timezone.localdate() - dt.timedelta(days=2)
    assert election.assignment.role == "chair" and election.assignment.doctor == doctors[4]
    # An ordinary meeting has no elections.
    ordinary = meeting(w, days=-2)
    response = client.post(election_url(ordinary), {"role": "chair", "doctor": doctors[3].pk})
    assert response.status_code == 400
    assert "Elections are held at general assemblies." in text(response)


def test_an_election_with_an_unreadable_date_is_shown_again(w, doctors, as_user):
    ga = meeting(w, days=-2, kind=MeetingKind.GENERAL_ASSEMBLY)
    response = as_user("coordinator_a").post(
        election_url(ga),
        {"role": "chair", "doctor": doctors[4].pk, "start": "31-31-2024"},
    )
    assert response.status_code == 400


# --- The year: activity report ----------------------------------------------------------


@pytest.fixture
def last_year(w, doctors):
    year = timezone.localdate().year - 1
    m = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Forårsmødet",
        starts=dt.datetime(year, 4, 10, 17, tzinfo=CPH),
    )
    services.attendance_record(
        actor=None, meeting=m, marks={d.pk: ("present", "") for d in doctors[:3]}
    )
    services.decision_add(actor=None, meeting=m, text="Vi følger op\npå data")
    return year, m


@pytest.mark.parametrize("role", ["coordinator_a", "region_a"])
def test_the_activity_report_downloads_as_csv_and_pdf(w, last_year, as_user, role):
    year, _m = last_year
    client = as_user(role)
    page = client.get(reverse("meetings:activity_report", args=[w.cluster_a.slug]) + f"?aar={year}")
    assert page.status_code == 200 and "Forårsmødet" in text(page)

    csv = client.get(
        reverse("meetings:activity_report.download", args=[w.cluster_a.slug, year, "csv"])
    )
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.content.decode("utf-8-sig").splitlines()
    assert header.split(";") == [str(h) for h in documents.ACTIVITY_CSV_HEADER]
    assert header.startswith("Cluster;Year;Date;Meeting")  # the interface is English
    assert len(rows) == 1
    fields = rows[0].split(";")
    assert fields[:6] == [
        "Køgeklyngen",
        str(year),
        f"{year}-04-10",
        "Forårsmødet",
        "Cluster meeting",
        "3",
    ]
    assert fields[6:8] == ["3", "1"]
    assert fields[9] == "Vi følger op på data"

    pdf = client.get(
        reverse("meetings:activity_report.download", args=[w.cluster_a.slug, year, "pdf"])
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="aktivitetsrapport-{w.cluster_a.slug}-{year}.pdf"'
    )


def test_the_activity_report_is_not_for_members(w, last_year, as_user):
    year, _m = last_year
    download = reverse("meetings:activity_report.download", args=[w.cluster_a.slug, year, "csv"])
    assert as_user("member_a").get(download).status_code == 404
    assert as_user("region_other").get(download).status_code == 404
    bad = reverse("meetings:activity_report.download", args=[w.cluster_a.slug, year, "xlsx"])
    assert as_user("coordinator_a").get(bad).status_code == 404


def test_an_impossible_year_is_not_found(w, as_user):
    url0 = reverse("meetings:activity_report.download", args=[w.cluster_a.slug, 0, "csv"])
    assert as_user("coordinator_a").get(url0).status_code == 404


def test_the_activity_report_names_the_indicators_worked_on(w, last_year, as_user):
    # (Was a 500: documents.activity_report read `Indicator.name`; fixed in 11ff1df.)
    year, m = last_year
    opioids = Indicator.objects.get(code="opioids")
    m.indicators.set([opioids])
    services.decision_add(actor=None, meeting=m, text="Færre opioider", indicator=opioids)
    client = as_user("coordinator_a")
    csv = client.get(
        reverse("meetings:activity_report.download", args=[w.cluster_a.slug, year, "csv"])
    )
    assert csv.status_code == 200
    assert opioids.title in csv.content.decode("utf-8-sig")
    page = client.get(reverse("meetings:activity_report", args=[w.cluster_a.slug]) + f"?aar={year}")
    assert page.status_code == 200
    assert "Færre opioider" in text(page) and opioids.title in text(page)


def test_the_minutes_name_the_indicator_of_a_decision(w, as_user):
    # (Was an empty pill: the templates read `indicator.name`; fixed in 11ff1df.)
    opioids = Indicator.objects.get(code="opioids")
    m = meeting(w, days=-1, template="ordinary")
    services.decision_add(
        actor=None, meeting=m, item=m.items.first(), text="Færre opioider", indicator=opioids
    )
    page = as_user("member_a").get(url("minutes", m))
    assert page.status_code == 200 and "Færre opioider" in text(page)
    assert f'<span class="pill">{opioids.title}</span>' in text(page)


def test_the_years_attendance_page(w, last_year, as_user):
    year, _m = last_year
    page = as_user("member_a").get(
        reverse("meetings:attendance_year", args=[w.cluster_a.slug]) + f"?aar={year}"
    )
    assert page.status_code == 200 and "Køge Lægehus 1 læge 1" in text(page)


# --- Announcements and evaluations ------------------------------------------------------


def test_only_the_coordinator_or_board_announces(w, as_user):
    announcements = reverse("meetings:announcements", args=[w.cluster_a.slug])
    send = reverse("meetings:announcement.send", args=[w.cluster_a.slug])
    data = {"title": "Nyt lokale", "body": "Vi mødes på biblioteket."}
    assert as_user("member_a").post(send, data).status_code == 404
    assert as_user("secretariat").post(send, data).status_code == 404
    assert not Announcement.objects.exists()

    client = as_user("coordinator_a")
    response = client.post(send, data)
    assert response.status_code == 302 and response["Location"] == announcements
    announcement = Announcement.objects.get()
    assert announcement.dispatches.count() == 3
    page = as_user("member_a").get(announcements)
    assert "Nyt lokale" in text(page) and "Vi mødes på biblioteket." in text(page)
    listing = as_user("member_a").get(reverse("meetings:list", args=[w.cluster_a.slug]))
    assert "Nyt lokale" in text(listing)

    response = client.post(send, {"title": "Uden tekst", "body": ""})
    assert response.status_code == 400
    assert Announcement.objects.count() == 1


def test_a_member_evaluates_a_held_meeting_anonymously_once(w, as_user):
    m = meeting(w, days=-1)
    client = as_user("member_a")
    page = client.get(url("evaluation", m))
    assert 'name="relevance"' in text(page)
    data = {"relevance": "4", "learning": "5", "organisation": "3", "comment": "Godt møde"}
    response = client.post(url("evaluation.submit", m), data)
    assert response.status_code == 302 and response["Location"] == url("evaluation", m)
    response_row = EvaluationResponse.objects.get(meeting=m)
    assert (response_row.relevance, response_row.learning, response_row.organisation) == (4, 5, 3)
    assert EvaluationReceipt.objects.filter(meeting=m, user=w.users["member_a"]).exists()

    again = client.post(url("evaluation.submit", m), data)
    assert again.status_code == 400
    assert "You have already evaluated this meeting." in text(again)
    assert EvaluationResponse.objects.count() == 1
    page = client.get(url("evaluation", m))
    assert "1 answer so far" in text(page) and "Godt møde" not in text(page)

    # Region staff read the page but do not answer; a meeting not yet held is not evaluated.
    assert as_user("region_a").post(url("evaluation.submit", m), data).status_code == 404
    future = meeting(w, days=3)
    response = as_user("member_a").post(url("evaluation.submit", future), data)
    assert response.status_code == 400
    assert not EvaluationResponse.objects.filter(meeting=future).exists()


def test_the_meeting_list_shows_coming_and_past_meetings_and_open_actions(w, as_user):
    past = meeting(w, days=-10, title="Det gamle møde")
    services.action_add(actor=None, meeting=past, text="Husk data")
    meeting(w, days=10, title="Det nye møde")
    meeting(w, days=None, title="Dato søges")
    page = as_user("member_a").get(reverse("meetings:list", args=[w.cluster_a.slug]))
    body = text(page)
    assert page.status_code == 200
    for title in ("Det gamle møde", "Det nye møde", "Dato søges", "Husk data"):
        assert title in body
    assert "Plan a meeting" not in body
    assert "Plan a meeting" in text(as_user("coordinator_a").get(page.request["PATH_INFO"]))


def test_attendance_marks_are_validated_on_the_page(w, doctors, as_user):
    m = meeting(w, days=-1)
    response = as_user("coordinator_a").post(
        url("attendance.record", m), {f"status-{doctors[0].pk}": "late"}
    )
    assert response.status_code == 400
    assert "Choose present, absent or excused." in text(response)
    assert not Attendance.objects.exists()


# --- Write bugs from issue 10 -------------------------------------------------------------


def test_saving_one_items_notes_leaves_the_other_items_as_they_are(w, held, as_user):
    """Each item's notes are their own write: from the page (htmx) the answer is that
    item's form alone, so what is typed under the other items stays where it is."""
    first, second = list(held.items.all())[:2]
    services.item_notes_save(actor=None, item=first, notes="Første punkt")
    client = as_user("coordinator_a")
    page = text(client.get(url("minutes", held)))
    for item in (first, second):
        assert f'hx-post="{url("minutes.notes", held, item.pk)}"' in page
    response = client.post(
        url("minutes.notes", held, second.pk), {"notes": "Andet punkt"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    fragment = text(response)
    assert "<html" not in fragment and fragment.count("<textarea") == 1
    assert "Andet punkt" in fragment and "Saved." in fragment
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.notes, second.notes) == ("Første punkt", "Andet punkt")

    # Refused (locked minutes): the message in the item's form, the typed text kept.
    services.minutes_approve(actor=None, meeting=held)
    response = client.post(
        url("minutes.notes", held, first.pk), {"notes": "Ændret"}, HTTP_HX_REQUEST="true"
    )
    assert LOCKED in text(response) and "Ændret" in text(response)
    first.refresh_from_db()
    assert first.notes == "Første punkt"


def test_an_unreadable_due_date_is_a_form_error_under_its_item(w, held, as_user):
    first, second = list(held.items.all())[:2]
    response = as_user("coordinator_a").post(
        url("action.add", held, second.pk), {"text": "Ring til kommunen", "due": "31-02-2031"}
    )
    assert response.status_code == 400
    assert not Action.objects.exists()
    body = text(response)
    # Shown, not hidden in a closed box: the item's form is open with the input and error.
    assert body.count("<details open") == 1
    article = body[body.index(f'id="item-{second.pk}"') :]
    article = article[: article.index("</article>")]
    assert "<details open" in article and "Ring til kommunen" in article
    assert "Write the date as day-month-year, e.g. 24-10-2019." in article
    other = body[body.index(f'id="item-{first.pk}"') :]
    assert "Ring til kommunen" not in other[: other.index("</article>")]


def _archived_minutes(w):
    from klynge.documents.models import DocumentVersion

    return DocumentVersion.objects.filter(
        document__folder__cluster=w.cluster_a, document__folder__name="Referater"
    )


def test_two_approvals_at_once_leave_one_approved_version_and_one_pdf(
    w, held, as_user, monkeypatch
):
    """The second approver arrives while the first one's PDF is being rendered: it is
    refused, and there is one version 1, one PDF and one archived copy."""
    from klynge.core.models import AuditEntry
    from klynge.meetings import documents as meeting_documents

    render = meeting_documents.minutes_pdf
    second: list = []

    def racing(meeting, version):
        if not second:
            second.append(as_user("board_a").post(url("minutes.approve", held, 1)))
        return render(meeting, version)

    monkeypatch.setattr(meeting_documents, "minutes_pdf", racing)
    response = as_user("coordinator_a").post(url("minutes.approve", held, 1))
    assert response.status_code == 302
    assert second[0].status_code == 302  # told it is done already; nothing done twice
    version = MinutesVersion.objects.get(meeting=held)
    assert version.number == 1 and version.approved_by == w.users["coordinator_a"]
    assert _archived_minutes(w).count() == 1
    assert AuditEntry.objects.filter(action="meetings.minutes.approved").count() == 1


def test_a_double_click_on_approve_approves_once(w, held, as_user):
    client = as_user("board_a")
    first = client.post(url("minutes.approve", held, 1))
    again = client.post(url("minutes.approve", held, 1), follow=True)
    assert first.status_code == 302 and again.status_code == 200
    assert "These minutes are already approved." in text(again)
    assert held.minutes.get().status == "approved"
    assert _archived_minutes(w).count() == 1

    # A stale page (a correction opened meanwhile) does not approve the new draft unseen.
    services.minutes_correct(actor=None, meeting=held, reason="Stavefejl")
    response = client.post(url("minutes.approve", held, 1))
    assert response.status_code == 400
    assert "version 2 is now current" in text(response)
    assert held.minutes.get(number=2).status == "draft"
