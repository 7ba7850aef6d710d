"""Meeting services: planning with templates, the date poll, invitations and the
notice period, attendance, minutes and their lock, decisions on indicators,
evaluations, announcements, speaker fees, elections and reminders.

(Sending e-mail through SMTP, the `.ics` and retries are covered in `test_mail.py`.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.documents.models import Document, DocumentVersion
from klynge.finance.models import Entry
from klynge.governance.elections import election_record
from klynge.governance.models import Election, Statutes
from klynge.meetings import selectors, services
from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.models import (
    Action,
    Attendance,
    Decision,
    Dispatch,
    EvaluationReceipt,
    EvaluationResponse,
    Guest,
    MeetingKind,
    MinutesVersion,
    PollAnswer,
)
from klynge.quality.models import Indicator, Intervention
from klynge.registry.models import Doctor, RoleAssignment, RoleKind
from tests.world import FOUNDED, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")

pytestmark = pytest.mark.django_db


def evening(days: int, hour: int = 17) -> dt.datetime:
    """`days` from today (negative: in the past) at `hour` in Copenhagen."""
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
def coordinator(w):
    return w.users["coordinator_a"]


@pytest.fixture
def doctors(w) -> list[Doctor]:
    """Cluster A's six doctors; clinic i holds doctors 2i and 2i+1. 0 is the coordinator
    (koordinator@a.test), 2 the treasurer (kasserer@a.test), 4 a member (laege@a.test)."""
    return list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))


def doctor_b(w) -> Doctor:
    return Doctor.objects.filter(participations__cluster=w.cluster_b).first()


def meeting(w, days: int | None = 20, **fields):
    """A meeting of cluster A `days` from today (None: undated, to find by poll)."""
    fields.setdefault("title", "Antibiotika i vinterhalvåret")
    if days is not None:
        fields.setdefault("starts", evening(days))
        fields.setdefault("ends", fields["starts"] + dt.timedelta(hours=2))
    return services.meeting_create(actor=None, cluster=w.cluster_a, **fields)


EMAILS_A = {"koordinator@a.test", "kasserer@a.test", "laege@a.test"}


def enqueued(path_suffix: str) -> list[DBTaskResult]:
    return [t for t in DBTaskResult.objects.all() if t.task_path.endswith(path_suffix)]


# --- Planning ---------------------------------------------------------------------------


def test_a_template_gives_the_agenda_in_order_with_the_follow_up_item(w, coordinator):
    m = meeting(w, template="ordinary")
    items = list(m.items.all())
    expected = TEMPLATES["ordinary"][1]
    assert [i.title for i in items] == [str(t.title) for t in expected]
    assert [i.position for i in items] == list(range(1, len(expected) + 1))
    assert [i.duration for i in items] == [t.duration for t in expected]
    assert [i.follow_up for i in items] == [False, True, False, False, False, False, False]

    # A second template appends after the last item; a hand-made item goes last.
    services.agenda_apply_template(actor=coordinator, meeting=m, template="annual_assembly")
    extra = services.item_save(actor=coordinator, meeting=m, title="  Kaffe   og kage ")
    positions = list(m.items.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert m.items.last() == extra and extra.title == "Kaffe og kage"

    services.item_move(actor=coordinator, item=extra, up=True)
    assert list(m.items.all())[-2] == extra


def test_planning_refuses_a_bad_title_template_or_time(w):
    with pytest.raises(DomainError) as error:
        meeting(w, title="   ")
    assert error.value.field == "title"
    with pytest.raises(DomainError) as error:
        meeting(w, template="no-such-template")
    assert error.value.field == "template"
    with pytest.raises(DomainError) as error:
        meeting(w, starts=evening(5), ends=evening(5, hour=16))
    assert error.value.field == "ends"
    with pytest.raises(TypeError):
        meeting(w, colour="red")


def test_open_actions_carry_to_later_meetings_until_done(w, coordinator, doctors):
    earlier = meeting(w, days=-14, title="Januarmødet")
    later = meeting(w, days=14, template="ordinary")
    action = services.action_add(
        actor=coordinator,
        meeting=earlier,
        text="Ring til  apoteket",
        owner=doctors[4],
        due=timezone.localdate(),
    )
    services.action_add(actor=coordinator, meeting=later, text="Not carried backwards")
    b_meeting = services.meeting_create(
        actor=None, cluster=w.cluster_b, title="B", starts=evening(-14)
    )
    services.action_add(actor=None, meeting=b_meeting, text="Another cluster's action")

    assert action.text == "Ring til apoteket"
    assert selectors.open_actions(meeting=later) == [action]
    assert selectors.open_actions(meeting=earlier) == []

    services.action_set_status(actor=coordinator, action=action, status=Action.Status.DONE)
    action.refresh_from_db()
    assert action.closed_on == timezone.localdate()
    assert selectors.open_actions(meeting=later) == []

    # Reopened, it is carried again; an unknown status is refused.
    services.action_set_status(actor=coordinator, action=action, status=Action.Status.OPEN)
    assert selectors.open_actions(meeting=later) == [action]
    with pytest.raises(DomainError):
        services.action_set_status(actor=coordinator, action=action, status="finished")


# --- Date poll and invitations ---------------------------------------------------------


def test_poll_answers_replace_and_the_best_slot_counts_yes_and_if_need_be_then_yes(
    w, coordinator, doctors
):
    m = meeting(w, days=None)
    s1, s2, s3 = services.poll_open(
        actor=coordinator,
        meeting=m,
        slots=[(evening(d), evening(d, hour=19)) for d in (20, 21, 22)],
        notify=False,
    )
    yes, maybe, no = "yes", "if_need_be", "no"
    services.poll_answer(
        doctor=doctors[0], meeting=m, answers={s1.pk: yes, s2.pk: maybe, s3.pk: yes}
    )
    services.poll_answer(
        doctor=doctors[1], meeting=m, answers={s1.pk: yes, s2.pk: maybe, s3.pk: yes}
    )
    services.poll_answer(
        doctor=doctors[2], meeting=m, answers={s1.pk: no, s2.pk: yes, s3.pk: maybe}
    )

    results = selectors.poll_results(m)
    assert [r.slot_id for r in results] == [s1.pk, s2.pk, s3.pk]
    assert [(r.yes, r.if_need_be, r.no) for r in results] == [(2, 0, 1), (1, 2, 0), (2, 1, 0)]
    # s2 and s3 both suit three; s3 has more who would rather.
    assert [r.best for r in results] == [False, False, True]
    assert selectors.poll_respondents(m) == 3

    # Answering again replaces the answer, it does not add one.
    services.poll_answer(doctor=doctors[2], meeting=m, answers={s3.pk: no})
    assert PollAnswer.objects.filter(slot=s3, doctor=doctors[2]).get().answer == no
    assert PollAnswer.objects.filter(slot__meeting=m).count() == 9
    results = selectors.poll_results(m)
    assert [r.best for r in results] == [False, True, False]  # s2 (3 can come) beats s3 (2)
    assert selectors.poll_answers_of(m, doctors[2]) == {s1.pk: no, s2.pk: yes, s3.pk: no}

    other = meeting(w, days=None, title="Andet møde")
    [foreign] = services.poll_open(
        actor=coordinator, meeting=other, slots=[(evening(30), evening(30, 19))], notify=False
    )
    with pytest.raises(DomainError):
        services.poll_answer(doctor=doctors[0], meeting=m, answers={foreign.pk: yes})
    with pytest.raises(DomainError):
        services.poll_answer(doctor=doctors[0], meeting=m, answers={s1.pk: "perhaps"})


def test_a_poll_with_no_answers_has_no_best_slot(w, coordinator):
    m = meeting(w, days=None)
    services.poll_open(
        actor=coordinator, meeting=m, slots=[(evening(9), evening(9, 19))], notify=False
    )
    assert [r.best for r in selectors.poll_results(m)] == [False]


def test_opening_a_poll_asks_the_members_by_email(
    w, coordinator, django_capture_on_commit_callbacks
):
    m = meeting(w, days=None)
    with django_capture_on_commit_callbacks(execute=True):
        slots = services.poll_open(
            actor=coordinator,
            meeting=m,
            slots=[(evening(10), evening(10, 19)), (evening(10), evening(10, 19))],
        )
    assert len(slots) == 1  # the same start offered twice is one date
    polls = Dispatch.objects.filter(meeting=m, kind=Dispatch.Kind.POLL)
    assert {d.recipient for d in polls} == EMAILS_A
    assert sorted(t.args_kwargs["args"][0] for t in enqueued("send_dispatch")) == sorted(
        d.pk for d in polls
    )


def test_closing_the_poll_sets_the_date_and_invites_every_doctor_with_an_email(
    w, coordinator, doctors, django_capture_on_commit_callbacks
):
    # A doctor without a login but with an address in the register is invited too;
    # the two left without any address are skipped.
    doctors[1].email = "uden.login@a.test"
    doctors[1].save(update_fields=["email"])
    m = meeting(w, days=None)
    s1, s2 = services.poll_open(
        actor=coordinator,
        meeting=m,
        slots=[(evening(20), evening(20, 19)), (evening(27), evening(27, 19))],
        notify=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_close(actor=coordinator, meeting=m, slot=s2)
    m.refresh_from_db()
    assert (m.starts, m.ends) == (s2.starts, s2.ends)
    assert m.poll_closed_at is not None and m.invited_at is not None

    invitations = Dispatch.objects.filter(meeting=m)
    assert {d.kind for d in invitations} == {Dispatch.Kind.INVITATION}
    assert sorted(d.recipient for d in invitations) == sorted(EMAILS_A | {"uden.login@a.test"})
    assert len(selectors.invited_doctors(m)) == 6
    assert len(enqueued("send_dispatch")) == 4
    [reminder] = enqueued("send_reminders")
    assert reminder.args_kwargs["args"] == [m.pk, 0]
    assert reminder.run_after == m.starts - dt.timedelta(hours=48)

    with pytest.raises(DomainError):
        services.poll_close(actor=coordinator, meeting=m, slot=s1)
    with pytest.raises(DomainError):
        services.poll_answer(doctor=doctors[0], meeting=m, answers={s1.pk: "yes"})
    with pytest.raises(DomainError):
        services.poll_open(actor=coordinator, meeting=m, slots=[(evening(40), evening(40, 19))])


def test_the_poll_refuses_a_date_that_has_passed_and_a_slot_of_another_meeting(w, coordinator):
    m = meeting(w, days=None)
    past = evening(-2)
    with pytest.raises(DomainError) as error:
        services.poll_open(
            actor=coordinator, meeting=m, slots=[(past, past + dt.timedelta(hours=2))]
        )
    assert format_date(past.date()) in error.value.message
    assert not m.slots.exists()
    with pytest.raises(DomainError):
        services.poll_open(actor=coordinator, meeting=m, slots=[])
    with pytest.raises(DomainError):
        services.poll_open(actor=coordinator, meeting=m, slots=[(evening(9, 19), evening(9, 17))])

    other = meeting(w, days=None, title="Andet")
    [slot] = services.poll_open(
        actor=coordinator, meeting=other, slots=[(evening(9), evening(9, 19))], notify=False
    )
    with pytest.raises(DomainError):
        services.poll_close(actor=coordinator, meeting=m, slot=slot)


def test_invitation_needs_a_future_date_and_a_live_meeting(w, coordinator):
    with pytest.raises(DomainError):
        services.meeting_invite(actor=coordinator, meeting=meeting(w, days=None))
    with pytest.raises(DomainError):
        services.meeting_invite(actor=coordinator, meeting=meeting(w, days=-1))
    cancelled = meeting(w, days=10)
    services.meeting_cancel(actor=coordinator, meeting=cancelled)
    with pytest.raises(DomainError):
        services.meeting_invite(actor=coordinator, meeting=cancelled)
    with pytest.raises(DomainError):
        services.meeting_cancel(actor=coordinator, meeting=cancelled)
    assert not Dispatch.objects.exists()


def test_a_general_assembly_respects_the_statutes_notice_period(w, coordinator):
    Statutes.objects.create(cluster=w.cluster_a, adopted=FOUNDED, notice_days=21)
    today = timezone.localdate()
    soon = meeting(w, days=10, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    assert services.notice_deadline(soon) == today + dt.timedelta(days=10 - 21)

    with pytest.raises(DomainError) as error:
        services.meeting_invite(actor=coordinator, meeting=soon)
    message = error.value.message
    assert format_date(today - dt.timedelta(days=11)) in message  # the deadline
    assert format_date(today + dt.timedelta(days=10)) in message  # the assembly
    assert format_date(today + dt.timedelta(days=21)) in message  # the earliest possible
    soon.refresh_from_db()
    assert soon.invited_at is None and not soon.dispatches.exists()

    later = meeting(w, days=30, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    assert len(services.meeting_invite(actor=coordinator, meeting=later)) == 3

    # Exactly on the deadline is in time.
    on_time = meeting(w, days=21, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    assert services.notice_deadline(on_time) == today
    assert len(services.meeting_invite(actor=coordinator, meeting=on_time)) == 3


def test_without_statutes_the_default_notice_of_14_days_applies(w, coordinator, settings):
    assert settings.KLYNGE_DEFAULT_NOTICE_DAYS == 14
    too_soon = meeting(w, days=13, kind=MeetingKind.GENERAL_ASSEMBLY)
    with pytest.raises(DomainError):
        services.meeting_invite(actor=coordinator, meeting=too_soon)
    in_time = meeting(w, days=14, kind=MeetingKind.GENERAL_ASSEMBLY)
    assert services.notice_deadline(in_time) == timezone.localdate()
    assert len(services.meeting_invite(actor=coordinator, meeting=in_time)) == 3
    # Other meetings have no notice period.
    ordinary = meeting(w, days=2)
    assert services.notice_deadline(ordinary) is None
    assert len(services.meeting_invite(actor=coordinator, meeting=ordinary)) == 3


def test_moving_an_invited_general_assembly_inside_the_notice_period_is_refused(w, coordinator):
    Statutes.objects.create(cluster=w.cluster_a, adopted=FOUNDED, notice_days=21)
    ga = meeting(w, days=30, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    services.meeting_invite(actor=coordinator, meeting=ga)
    with pytest.raises(DomainError):
        services.meeting_update(actor=coordinator, meeting=ga, starts=evening(5), ends=None)


def test_a_change_after_the_invitation_bumps_the_sequence_and_queues_updates(
    w, coordinator, django_capture_on_commit_callbacks
):
    m = meeting(w, days=30)
    # Before the invitation, changes send nothing.
    services.meeting_update(actor=coordinator, meeting=m, place="Lægehuset")
    assert m.sequence == 0 and not m.dispatches.exists()

    services.meeting_invite(actor=coordinator, meeting=m)
    assert m.sequence == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(actor=coordinator, meeting=m, place="Sygehuset, lokale 3")
    m.refresh_from_db()
    assert m.sequence == 1
    updates = Dispatch.objects.filter(meeting=m, kind=Dispatch.Kind.UPDATE)
    assert {d.recipient for d in updates} == EMAILS_A
    assert {d.sequence for d in updates} == {1}
    assert len(enqueued("send_dispatch")) == 3
    assert [t.args_kwargs["args"] for t in enqueued("send_reminders")] == [[m.pk, 1]]

    # Catering is not in the calendar: no update; an unchanged value is no change.
    services.meeting_update(
        actor=coordinator, meeting=m, catering="Sandwich", place="Sygehuset, lokale 3"
    )
    assert m.sequence == 1 and m.dispatches.count() == 6
    with pytest.raises(DomainError):
        services.meeting_update(actor=coordinator, meeting=m, starts=None, ends=None)


def test_reminders_skip_a_changed_or_cancelled_meeting(w, coordinator):
    m = meeting(w, days=30)
    services.meeting_invite(actor=coordinator, meeting=m)
    assert services.reminders_send(meeting_id=m.pk, sequence=0) == 3
    assert services.reminders_send(meeting_id=m.pk, sequence=0) == 0  # once per sequence

    services.meeting_update(actor=coordinator, meeting=m, starts=evening(31), ends=None)
    assert services.reminders_send(meeting_id=m.pk, sequence=0) == 0  # stale
    assert services.reminders_send(meeting_id=m.pk, sequence=1) == 3

    other = meeting(w, days=30, title="Aflyst")
    services.meeting_invite(actor=coordinator, meeting=other)
    services.meeting_cancel(actor=coordinator, meeting=other)
    other.refresh_from_db()
    assert services.reminders_send(meeting_id=other.pk, sequence=other.sequence) == 0
    assert services.reminders_send(meeting_id=other.pk, sequence=0) == 0
    assert not other.dispatches.filter(kind=Dispatch.Kind.REMINDER).exists()
    assert other.dispatches.filter(kind=Dispatch.Kind.CANCELLATION).count() == 3


# --- Attendance -------------------------------------------------------------------------


def test_attendance_keeps_the_reason_only_for_the_excused(w, coordinator, doctors):
    m = meeting(w, days=-7)
    services.attendance_record(
        actor=coordinator,
        meeting=m,
        marks={
            doctors[0].pk: ("excused", "Syg barn"),
            doctors[1].pk: ("present", "should not be kept"),
            doctors[2].pk: ("absent", "nor this"),
        },
    )
    got = {a.doctor_id: (a.status, a.reason) for a in Attendance.objects.filter(meeting=m)}
    assert got == {
        doctors[0].pk: ("excused", "Syg barn"),
        doctors[1].pk: ("present", ""),
        doctors[2].pk: ("absent", ""),
    }
    # Recording again replaces; present clears the reason.
    services.attendance_record(actor=coordinator, meeting=m, marks={doctors[0].pk: ("present", "")})
    mark = Attendance.objects.get(meeting=m, doctor=doctors[0])
    assert (mark.status, mark.reason) == ("present", "")
    assert Attendance.objects.filter(meeting=m).count() == 3

    rows = selectors.attendance_list(m)
    assert [d for d, _mark in rows] == sorted(doctors, key=lambda d: d.name)


def test_attendance_refuses_a_doctor_who_is_not_invited_or_an_unknown_status(
    w, coordinator, doctors
):
    m = meeting(w, days=-7)
    with pytest.raises(DomainError):
        services.attendance_record(
            actor=coordinator,
            meeting=m,
            marks={doctors[0].pk: ("present", ""), doctor_b(w).pk: ("present", "")},
        )
    assert not Attendance.objects.exists()  # all or nothing
    with pytest.raises(DomainError):
        services.attendance_record(
            actor=coordinator, meeting=m, marks={doctors[0].pk: ("late", "")}
        )
    with pytest.raises(DomainError):
        services.attendance_record(
            actor=coordinator, meeting=meeting(w, days=None), marks={doctors[0].pk: ("present", "")}
        )


def test_guests_are_kept_with_their_kind(w, coordinator):
    m = meeting(w, days=-7)
    guest = services.guest_add(
        actor=coordinator, meeting=m, name=" Ida  Uddannelseslæge ", kind="trainee"
    )
    assert guest.name == "Ida Uddannelseslæge"
    with pytest.raises(DomainError):
        services.guest_add(actor=coordinator, meeting=m, name="X", kind="alien")
    with pytest.raises(DomainError):
        services.guest_add(actor=coordinator, meeting=m, name="  ", kind="staff")
    services.guest_remove(actor=coordinator, guest=guest)
    assert not Guest.objects.exists()


# --- Minutes ----------------------------------------------------------------------------


@pytest.fixture
def held(w, coordinator, doctors):
    """A meeting held a week ago with minutes written: notes, a decision, an action,
    attendance and a guest."""
    m = meeting(w, days=-7, template="ordinary")
    first, second = list(m.items.all())[:2]
    services.item_notes_save(actor=coordinator, item=first, notes="  Dagsorden godkendt. ")
    services.decision_add(actor=coordinator, meeting=m, item=first, text="Vi mødes kvartalsvis")
    services.action_add(actor=coordinator, meeting=m, item=second, text="Send data til alle")
    services.attendance_record(
        actor=coordinator, meeting=m, marks={d.pk: ("present", "") for d in doctors[:4]}
    )
    services.guest_add(actor=coordinator, meeting=m, name="Ida", kind="trainee")
    return m


def test_the_first_note_opens_a_draft(w, held):
    [draft] = held.minutes.all()
    assert (draft.number, draft.status) == (1, MinutesVersion.Status.DRAFT)
    assert held.items.first().notes == "Dagsorden godkendt."
    assert not selectors.minutes_locked(held)


def test_minutes_are_approved_only_after_the_meeting(w, coordinator):
    for m in (meeting(w, days=3), meeting(w, days=None, title="Udateret")):
        with pytest.raises(DomainError):
            services.minutes_approve(actor=coordinator, meeting=m)
        assert not m.minutes.filter(status=MinutesVersion.Status.APPROVED).exists()


def test_approval_files_a_locked_pdf_and_refuses_every_edit(w, coordinator, doctors, held):
    version = services.minutes_approve(actor=coordinator, meeting=held)
    assert (version.number, version.status) == (1, MinutesVersion.Status.APPROVED)
    assert version.approved_by == coordinator and version.approved_at is not None
    with version.pdf.open("rb") as f:
        content = f.read()
    assert content.startswith(b"%PDF")
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert selectors.minutes_locked(held)

    # Filed in the cluster's archive, in the minutes folder, with the same content.
    [filed] = DocumentVersion.objects.filter(document__cluster=w.cluster_a, sha256=version.sha256)
    assert filed.document.folder.name == "Referater"
    assert held.title in filed.document.title
    assert filed.content_type == "application/pdf"

    item = held.items.first()
    decision = held.decisions.get()
    action = held.actions.get()
    guest = held.guests.get()
    edits = {
        "notes": lambda: services.item_notes_save(actor=coordinator, item=item, notes="Ændret"),
        "decision": lambda: services.decision_add(actor=coordinator, meeting=held, text="Ny"),
        "decision_delete": lambda: services.decision_delete(actor=coordinator, decision=decision),
        "action": lambda: services.action_add(actor=coordinator, meeting=held, text="Ny"),
        "action_delete": lambda: services.action_delete(actor=coordinator, action=action),
        "item_add": lambda: services.item_save(actor=coordinator, meeting=held, title="Nyt"),
        "item_edit": lambda: services.item_save(
            actor=coordinator, meeting=held, item=item, title="Omdøbt"
        ),
        "item_move": lambda: services.item_move(actor=coordinator, item=item, up=False),
        "item_delete": lambda: services.item_delete(actor=coordinator, item=item),
        "template": lambda: services.agenda_apply_template(
            actor=coordinator, meeting=held, template="ordinary"
        ),
        "attendance": lambda: services.attendance_record(
            actor=coordinator, meeting=held, marks={doctors[5].pk: ("present", "")}
        ),
        "guest_add": lambda: services.guest_add(
            actor=coordinator, meeting=held, name="Ny gæst", kind="staff"
        ),
        "guest_remove": lambda: services.guest_remove(actor=coordinator, guest=guest),
        "approve_again": lambda: services.minutes_approve(actor=coordinator, meeting=held),
        "cancel": lambda: services.meeting_cancel(actor=coordinator, meeting=held),
    }
    allowed = []
    for name, edit in edits.items():
        try:
            edit()
        except DomainError:
            continue
        allowed.append(name)
    assert allowed == [], f"edits allowed on approved minutes: {allowed}"
    item.refresh_from_db()
    assert (item.title, item.notes) == ("Welcome and approval of the agenda", "Dagsorden godkendt.")
    assert held.items.count() == 7 and held.decisions.count() == 1 and held.actions.count() == 1
    assert held.attendance.count() == 4 and held.guests.count() == 1
    assert held.minutes.count() == 1

    # Following up on an action is not an edit of the minutes.
    services.action_set_status(actor=coordinator, action=action, status=Action.Status.DONE)
    action.refresh_from_db()
    assert action.status == Action.Status.DONE


def test_no_attachment_is_added_after_approval(w, coordinator, held):
    services.minutes_approve(actor=coordinator, meeting=held)
    with pytest.raises(DomainError):
        services.attachment_add(
            actor=coordinator,
            item=held.items.first(),
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"),
        )


def test_a_correction_opens_version_2_and_keeps_version_1s_pdf(w, coordinator, held):
    with pytest.raises(DomainError):  # a draft is edited, not corrected
        services.minutes_correct(actor=coordinator, meeting=held, reason="Fejl")
    first = services.minutes_approve(actor=coordinator, meeting=held)
    with first.pdf.open("rb") as f:
        first_bytes = f.read()

    with pytest.raises(DomainError) as error:
        services.minutes_correct(actor=coordinator, meeting=held, reason="   ")
    assert error.value.field == "reason"
    draft = services.minutes_correct(actor=coordinator, meeting=held, reason="Forkert  navn")
    assert (draft.number, draft.status, draft.correction_reason) == (2, "draft", "Forkert navn")
    assert not selectors.minutes_locked(held)

    item = held.items.first()
    services.item_notes_save(actor=coordinator, item=item, notes="Dagsorden godkendt med rettelse.")
    services.action_add(actor=coordinator, meeting=held, text="Rettelse rundsendes")
    second = services.minutes_approve(actor=coordinator, meeting=held)
    assert (second.number, second.status) == (2, MinutesVersion.Status.APPROVED)
    assert second.pdf.name != first.pdf.name
    with second.pdf.open("rb") as f:
        second_bytes = f.read()
    assert second_bytes.startswith(b"%PDF") and second_bytes != first_bytes
    assert second.sha256 == hashlib.sha256(second_bytes).hexdigest()

    first.refresh_from_db()
    with first.pdf.open("rb") as f:
        assert f.read() == first_bytes
    assert first.sha256 == hashlib.sha256(first_bytes).hexdigest()
    assert first.status == MinutesVersion.Status.APPROVED

    # The archive keeps both, as two versions of one document.
    [document] = Document.objects.filter(cluster=w.cluster_a, folder__name="Referater")
    assert sorted(document.versions.values_list("number", "sha256")) == [
        (1, first.sha256),
        (2, second.sha256),
    ]
    assert selectors.minutes_locked(held)


def test_a_decision_on_an_indicator_becomes_an_intervention_until_deleted(w, coordinator):
    opioids = Indicator.objects.get(code="opioids")
    m = meeting(w, days=-7, title="Opioidmødet")
    decision = services.decision_add(
        actor=coordinator, meeting=m, text="Vi nedtrapper opioider", indicator=opioids
    )
    intervention = decision.intervention
    day = timezone.localdate() - dt.timedelta(days=7)
    assert intervention.cluster == w.cluster_a and intervention.indicator == opioids
    assert intervention.date == day
    assert intervention.text == "Vi nedtrapper opioider"
    assert "Opioidmødet" in intervention.meeting_ref
    assert format_date(day) in intervention.meeting_ref

    services.decision_delete(actor=coordinator, decision=decision)
    assert not Intervention.objects.filter(pk=intervention.pk).exists()
    assert not Decision.objects.exists()

    plain = services.decision_add(actor=coordinator, meeting=m, text="Uden indikator")
    assert plain.intervention is None and not Intervention.objects.exists()
    with pytest.raises(DomainError):
        services.decision_add(actor=coordinator, meeting=m, text="   ")
    with pytest.raises(DomainError):
        services.decision_add(
            actor=coordinator, meeting=meeting(w, days=None), text="X", indicator=opioids
        )


# --- Evaluations and announcements ------------------------------------------------------


def test_evaluation_is_anonymous_once_per_user_and_shown_from_three_answers(w, coordinator):
    future = meeting(w, days=3)
    with pytest.raises(DomainError):
        services.evaluation_submit(
            user=coordinator, meeting=future, relevance=5, learning=5, organisation=5
        )
    m = meeting(w, days=-1)
    member, board = w.users["member_a"], w.users["board_a"]
    response = services.evaluation_submit(
        user=member, meeting=m, relevance=4, learning=3, organisation=5, comment=" Godt "
    )
    with pytest.raises(DomainError):
        services.evaluation_submit(user=member, meeting=m, relevance=1, learning=1, organisation=1)
    assert EvaluationResponse.objects.filter(meeting=m).count() == 1
    assert EvaluationReceipt.objects.filter(meeting=m, user=member).exists()

    # The answer holds no link to anyone and no time.
    fields = {f.name for f in EvaluationResponse._meta.get_fields()}
    assert fields == {"id", "meeting", "relevance", "learning", "organisation", "comment"}
    assert response.comment == "Godt"

    with pytest.raises(DomainError):  # out of the scale: no answer, no receipt
        services.evaluation_submit(user=board, meeting=m, relevance=6, learning=3, organisation=3)
    assert not EvaluationReceipt.objects.filter(user=board).exists()

    services.evaluation_submit(user=board, meeting=m, relevance=2, learning=3, organisation=4)
    summary = selectors.evaluation_summary([m])
    assert (summary.answers, summary.shown, summary.relevance, summary.comments) == (
        2,
        False,
        None,
        [],
    )
    services.evaluation_submit(
        user=coordinator, meeting=m, relevance=3, learning=3, organisation=3, comment="Kort"
    )
    summary = selectors.evaluation_summary([m])
    assert summary.shown and summary.answers == 3
    assert (summary.relevance, summary.learning, summary.organisation) == (3.0, 3.0, 4.0)
    assert summary.comments == [("Godt", 1), ("Kort", 1)]  # (text, how many)


def test_a_cancelled_meeting_is_not_evaluated(w, coordinator):
    m = meeting(w, days=-1)
    services.meeting_cancel(actor=coordinator, meeting=m)
    with pytest.raises(DomainError):
        services.evaluation_submit(
            user=coordinator, meeting=m, relevance=3, learning=3, organisation=3
        )


def test_an_announcement_is_mailed_to_members_with_an_address_and_listed(
    w, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announcement = services.announcement_send(
            actor=coordinator, cluster=w.cluster_a, title=" Nyt  lokale ", body="Vi flytter.\n"
        )
    assert (announcement.title, announcement.body) == ("Nyt lokale", "Vi flytter.")
    assert announcement.created_by == coordinator
    dispatches = Dispatch.objects.filter(announcement=announcement)
    assert {d.recipient for d in dispatches} == EMAILS_A
    assert {d.kind for d in dispatches} == {Dispatch.Kind.ANNOUNCEMENT}
    assert {d.cluster_id for d in dispatches} == {w.cluster_a.pk}
    assert len(enqueued("send_dispatch")) == 3
    assert list(w.cluster_a.announcements.all()) == [announcement]
    assert not w.cluster_b.announcements.exists()
    with pytest.raises(DomainError):
        services.announcement_send(actor=coordinator, cluster=w.cluster_a, title="T", body=" ")


# --- Speakers and their fees ------------------------------------------------------------


def test_a_speaker_fee_is_booked_once_and_the_speaker_then_stays(w, coordinator):
    m = meeting(w, days=-3)
    speaker = services.speaker_add(
        actor=coordinator, meeting=m, name="Dr. Hansen", organisation="Sygehuset", fee="1500.50"
    )
    assert speaker.fee == Decimal("1500.50")
    booked = services.speaker_fee_book(
        actor=coordinator, speaker=speaker, date=timezone.localdate()
    )
    tx = booked.fee_transaction
    assert tx.cluster == w.cluster_a and tx.date == timezone.localdate()
    assert "Dr. Hansen" in tx.text
    [expense] = Entry.objects.filter(transaction=tx, amount__gt=0)
    assert expense.account.category == "speaker_fee"
    assert expense.amount == Decimal("1500.50")
    assert sum(e.amount for e in tx.entries.all()) == 0

    with pytest.raises(DomainError):
        services.speaker_fee_book(actor=coordinator, speaker=speaker, date=timezone.localdate())
    assert Entry.objects.filter(account__category="speaker_fee").count() == 1
    with pytest.raises(DomainError):
        services.speaker_remove(actor=coordinator, speaker=speaker)
    assert m.speakers.count() == 1


def test_a_speaker_without_a_fee_is_not_booked_and_can_be_removed(w, coordinator):
    m = meeting(w, days=-3)
    with pytest.raises(DomainError):
        services.speaker_add(actor=coordinator, meeting=m, name="Gratis", fee=-1)
    speaker = services.speaker_add(actor=coordinator, meeting=m, name="Gratis")
    with pytest.raises(DomainError):
        services.speaker_fee_book(actor=coordinator, speaker=speaker, date=timezone.localdate())
    services.speaker_remove(actor=coordinator, speaker=speaker)
    assert not m.speakers.exists()


# --- Elections at general assemblies ----------------------------------------------------


def test_an_election_at_a_general_assembly_registers_the_role(w, coordinator, doctors):
    ga = meeting(w, days=-3, kind=MeetingKind.GENERAL_ASSEMBLY, title="Generalforsamling")
    day = timezone.localdate() - dt.timedelta(days=3)
    election = election_record(
        actor=coordinator, meeting=ga, role=RoleKind.CHAIR, doctor=doctors[4], start=day
    )
    chair = RoleAssignment.objects.get(cluster=w.cluster_a, role=RoleKind.CHAIR)
    assert (chair.doctor, chair.start, chair.end) == (doctors[4], day, None)
    assert election.assignment == chair and election.meeting == ga

    # A single-holder role hands over on the day the new term starts.
    start = day + dt.timedelta(days=1)
    election_record(
        actor=coordinator, meeting=ga, role=RoleKind.COORDINATOR, doctor=doctors[2], start=start
    )
    old = RoleAssignment.objects.get(cluster=w.cluster_a, role="coordinator", doctor=doctors[0])
    assert old.end == start

    with pytest.raises(DomainError):  # before the assembly
        election_record(
            actor=coordinator,
            meeting=ga,
            role=RoleKind.SECRETARY,
            doctor=doctors[1],
            start=day - dt.timedelta(days=1),
        )
    with pytest.raises(DomainError):
        election_record(actor=coordinator, meeting=ga, role="king", doctor=doctors[1], start=day)
    with pytest.raises(DomainError):  # not a member of the cluster
        election_record(
            actor=coordinator, meeting=ga, role=RoleKind.SECRETARY, doctor=doctor_b(w), start=day
        )
    assert Election.objects.count() == 2


def test_no_election_at_an_ordinary_meeting_or_after_approval(w, coordinator, doctors):
    ordinary = meeting(w, days=-3)
    day = timezone.localdate() - dt.timedelta(days=3)
    with pytest.raises(DomainError):
        election_record(
            actor=coordinator, meeting=ordinary, role=RoleKind.CHAIR, doctor=doctors[4], start=day
        )
    ga = meeting(w, days=-3, kind=MeetingKind.GENERAL_ASSEMBLY)
    services.minutes_approve(actor=coordinator, meeting=ga)
    with pytest.raises(DomainError):
        election_record(
            actor=coordinator, meeting=ga, role=RoleKind.CHAIR, doctor=doctors[4], start=day
        )
    assert not RoleAssignment.objects.filter(role=RoleKind.CHAIR).exists()
    assert not Election.objects.exists()
