"""Meeting services: every change a coordinator, host or member makes goes through
one of these functions (views and tests call them alike). Each checks the rule it
guards, writes in one transaction and leaves an audit entry."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core import uploads
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.meetings import mail, selectors
from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.models import (
    Action,
    AgendaAttachment,
    AgendaItem,
    Announcement,
    Attendance,
    Decision,
    Dispatch,
    EvaluationReceipt,
    EvaluationResponse,
    Guest,
    Meeting,
    MeetingKind,
    MinutesVersion,
    PollAnswer,
    PollSlot,
    Rsvp,
    Speaker,
)
from klynge.registry.models import Cluster, Doctor, Region

PLANNING_FIELDS = {
    "title",
    "kind",
    "starts",
    "ends",
    "place",
    "video_url",
    "catering",
    "host_model",
    "host",
}
# A change to one of these after the invitation went out sends an update.
CALENDAR_FIELDS = {"title", "starts", "ends", "place", "video_url"}


def _scope(meeting: Meeting) -> str:
    if meeting.network_id is not None:
        return "support"  # a network's entries are the support desk's (support.networks)
    return f"cluster:{meeting.cluster_id}"


def _check_times(starts: dt.datetime | None, ends: dt.datetime | None) -> None:
    if ends is not None and (starts is None or ends <= starts):
        raise DomainError(_("The meeting must end after it starts."), field="ends")


# --- Planning ---------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    cluster: Cluster,
    title: str,
    kind: str = MeetingKind.CLUSTER,
    template: str = "",
    guest_clusters: Iterable[Cluster] = (),
    indicators: Iterable[Any] = (),
    **fields: Any,
) -> Meeting:
    """Plan a meeting, with its agenda from `template` (or empty, to build by hand)."""
    if cluster.dissolved:
        raise DomainError(_("The cluster is dissolved."))
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Give the meeting a title."), field="title")
    unknown = set(fields) - PLANNING_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    _check_times(fields.get("starts"), fields.get("ends"))
    meeting = Meeting.objects.create(
        cluster=cluster, title=title, kind=kind, created_by=_user(actor), **fields
    )
    meeting.guest_clusters.set([c for c in guest_clusters if c.pk != cluster.pk])
    meeting.indicators.set(list(indicators))
    if template:
        agenda_apply_template(actor=actor, meeting=meeting, template=template)
    audit_log(
        actor=actor,
        action="meetings.meeting.created",
        target=meeting,
        scope=_scope(meeting),
        data={"title": title, "kind": kind},
    )
    return meeting


@transaction.atomic
def meeting_update(
    *,
    actor: Any,
    meeting: Meeting,
    guest_clusters: Iterable[Cluster] | None = None,
    indicators: Iterable[Any] | None = None,
    **changes: Any,
) -> Meeting:
    """Change the plan. Once invited, a change of time or place goes out as an update
    with the same calendar UID and the next SEQUENCE."""
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is cancelled."))
    unknown = set(changes) - PLANNING_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    changed = {k for k, v in changes.items() if getattr(meeting, k) != v}
    for name, value in changes.items():
        setattr(meeting, name, value)
    _check_times(meeting.starts, meeting.ends)
    if meeting.invited_at and changed & CALENDAR_FIELDS:
        if meeting.starts is None:
            raise DomainError(
                _("An invited meeting keeps a date; cancel it instead."), field="starts"
            )
        meeting.sequence += 1
        if changed & {"starts", "kind"}:
            _check_notice(meeting)
    meeting.save()
    if guest_clusters is not None:
        meeting.guest_clusters.set([c for c in guest_clusters if c.pk != meeting.cluster_id])
    if indicators is not None:
        meeting.indicators.set(list(indicators))
    if meeting.invited_at and changed & CALENDAR_FIELDS:
        _dispatch_to_invited(meeting, Dispatch.Kind.UPDATE)
        _schedule_reminders(meeting)
    audit_log(
        actor=actor,
        action="meetings.meeting.changed",
        target=meeting,
        scope=_scope(meeting),
        data={"changed": sorted(changed)},
    )
    return meeting


@transaction.atomic
def network_meeting_create(
    *, actor: Any, network: Region, title: str, template: str = "", **fields: Any
) -> Meeting:
    """Plan a meeting of a region's coordinator network (support.networks): the same
    meeting as a cluster's, belonging to the network instead. Its organisers are the
    region's unit and the secretariat (the network's roles); it invites the network's
    members on its day. A cluster's own things (a host in turn, guest clusters, the
    meeting pack's indicators, speaker fees in its books) do not apply."""
    from klynge.core.dates import today

    if network.end is not None and network.end <= today():
        raise DomainError(_("The region no longer exists; plan in its successor's network."))
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Give the meeting a title."), field="title")
    allowed = {"starts", "ends", "place", "video_url", "catering"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    _check_times(fields.get("starts"), fields.get("ends"))
    meeting = Meeting.objects.create(
        network=network,
        title=title,
        kind=MeetingKind.NETWORK,
        created_by=_user(actor),
        **fields,
    )
    if template:
        agenda_apply_template(actor=actor, meeting=meeting, template=template)
    audit_log(
        actor=actor,
        action="meetings.meeting.created",
        target=meeting,
        scope=_scope(meeting),
        data={"title": title, "kind": MeetingKind.NETWORK, "network": network.pk},
    )
    return meeting


@transaction.atomic
def speaker_add(
    *,
    actor: Any,
    meeting: Meeting,
    name: str,
    organisation: str = "",
    topic: str = "",
    fee: Decimal | int = 0,
) -> Speaker:
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Write the speaker's name."), field="name")
    fee = Decimal(str(fee))
    if fee < 0:
        raise DomainError(_("The fee cannot be negative."), field="fee")
    speaker = Speaker.objects.create(
        meeting=meeting, name=name, organisation=organisation, topic=topic, fee=fee
    )
    audit_log(
        actor=actor,
        action="meetings.speaker.added",
        target=speaker,
        scope=_scope(meeting),
        data={"name": name, "fee": str(fee)},
    )
    return speaker


@transaction.atomic
def speaker_remove(*, actor: Any, speaker: Speaker) -> None:
    if speaker.fee_transaction_id:
        raise DomainError(_("The fee is booked; reverse it in the accounts first."))
    audit_log(
        actor=actor,
        action="meetings.speaker.removed",
        target=speaker.meeting,
        scope=_scope(speaker.meeting),
        data={"name": speaker.name},
    )
    speaker.delete()


@transaction.atomic
def speaker_fee_book(*, actor: Any, speaker: Speaker, date: dt.date) -> Speaker:
    """Book the agreed fee as a speaker-fee expense of the meeting in the cluster's
    books (FIN), once."""
    from klynge.finance.ledger import expense_record

    if speaker.fee_transaction_id:
        raise DomainError(_("The fee is already booked."))
    if speaker.fee <= 0:
        raise DomainError(_("No fee was agreed with this speaker."))
    meeting = speaker.meeting
    if meeting.cluster is None:
        raise DomainError(_("A network meeting has no books; its fees are paid elsewhere."))
    speaker.fee_transaction = expense_record(
        actor=actor,
        cluster=meeting.cluster,
        date=date,
        text=_("Speaker fee: %(name)s, %(meeting)s")
        % {"name": speaker.name, "meeting": meeting.title},
        category="speaker_fee",
        amount=speaker.fee,
    )
    speaker.save(update_fields=["fee_transaction"])
    return speaker


# --- Date poll --------------------------------------------------------------------------


@transaction.atomic
def poll_open(
    *,
    actor: Any,
    meeting: Meeting,
    slots: list[tuple[dt.datetime, dt.datetime]],
    notify: bool = True,
) -> list[PollSlot]:
    """Offer dates (MEET-1). With `notify`, the poll goes out at once (`poll_send`):
    one e-mail per member listing every date, however many dates are offered. Without
    it the dates wait for the coordinator to send the poll, so that four dates offered
    one at a time still make one e-mail."""
    if meeting.poll_closed_at or meeting.invited_at or meeting.starts is not None:
        raise DomainError(_("The date is already settled."))
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is cancelled."))
    if not slots:
        raise DomainError(_("Offer at least one date."), field="slots")
    created = []
    for starts, ends in slots:
        if ends <= starts:
            raise DomainError(_("Each date must end after it starts."), field="slots")
        if starts < timezone.now():
            raise DomainError(
                _("%(date)s has passed.")
                % {"date": format_date(timezone.localtime(starts).date())},
                field="slots",
            )
        slot, new = PollSlot.objects.get_or_create(
            meeting=meeting, starts=starts, defaults={"ends": ends}
        )
        if new:
            created.append(slot)
    audit_log(
        actor=actor,
        action="meetings.poll.opened",
        target=meeting,
        scope=_scope(meeting),
        data={"slots": [s.starts.isoformat() for s in created]},
    )
    if notify and created:
        poll_send(actor=actor, meeting=meeting)
    return created


@transaction.atomic
def poll_send(*, actor: Any, meeting: Meeting) -> list[Dispatch]:
    """Ask the members about the offered dates: one e-mail to each invited doctor
    listing every date of the poll. Sending again is for dates offered since; with
    none, it is refused (the reminder is for those who have not answered)."""
    _lock(meeting)
    _poll_open_for_writes(meeting)
    slots = list(meeting.slots.all())
    if not slots:
        raise DomainError(_("Offer at least one date first."))
    new = [s for s in slots if s.announced_at is None]
    if not new:
        raise DomainError(
            _(
                "The members have been asked about every date already. Send a reminder "
                "to those who have not answered instead."
            )
        )
    dispatches = _dispatch_to_invited(meeting, Dispatch.Kind.POLL)
    if not dispatches:
        raise DomainError(_("No member has an e-mail address; add them in the register first."))
    now = timezone.now()
    PollSlot.objects.filter(pk__in=[s.pk for s in new]).update(announced_at=now)
    audit_log(
        actor=actor,
        action="meetings.poll.sent",
        target=meeting,
        scope=_scope(meeting),
        data={
            "recipients": len(dispatches),
            "dates": len(slots),
            "new": [s.starts.isoformat() for s in new],
        },
    )
    return dispatches


@transaction.atomic
def poll_remind(*, actor: Any, meeting: Meeting) -> list[Dispatch]:
    """Remind those invited who have not answered the poll: one e-mail each, at most
    once a day (a second press the same day reaches only those not yet reminded that
    day, and is refused when there is nobody left)."""
    _lock(meeting)  # two presses at once: the second sees the first one's reminders
    _poll_open_for_writes(meeting)
    if not meeting.slots.filter(announced_at__isnull=False).exists():
        raise DomainError(_("Send the date poll first."))
    missing = selectors.poll_nonresponders(meeting)
    if not missing:
        raise DomainError(_("Everyone invited has answered the poll."))
    reminded = selectors.poll_reminded_on(meeting, timezone.localdate())
    due = []
    for doctor in missing:
        address = selectors.doctor_email(doctor)
        if address and address.lower() not in reminded:
            due.append(
                Dispatch(
                    cluster=meeting.cluster,
                    meeting=meeting,
                    kind=Dispatch.Kind.POLL_REMINDER,
                    recipient=address,
                    name=doctor.name,
                    sequence=meeting.sequence,
                )
            )
    if not due:
        if any(selectors.doctor_email(d) for d in missing):
            raise DomainError(
                _("Everyone who has not answered was reminded today. Try again tomorrow.")
            )
        raise DomainError(
            _("Those who have not answered have no e-mail address; add them in the register.")
        )
    dispatches = Dispatch.objects.bulk_create(due)
    mail.enqueue_all(dispatches)
    audit_log(
        actor=actor,
        action="meetings.poll.reminded",
        target=meeting,
        scope=_scope(meeting),
        data={"recipients": len(dispatches), "not_answered": len(missing)},
    )
    return dispatches


def _poll_open_for_writes(meeting: Meeting) -> None:
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is cancelled."))
    if meeting.poll_closed_at or meeting.starts is not None:
        raise DomainError(_("The date is already settled."))


@transaction.atomic
def poll_answer(*, doctor: Doctor, meeting: Meeting, answers: dict[int, str]) -> None:
    """A member's answers (slot id → yes / if_need_be / no); answering again replaces."""
    if meeting.poll_closed_at:
        raise DomainError(_("The poll is closed."))
    valid = set(PollAnswer.Choice.values)
    slots = {s.pk: s for s in meeting.slots.all()}
    for slot_id, answer in answers.items():
        if slot_id not in slots or answer not in valid:
            raise DomainError(_("Answer yes, if need be or no for each date."))
        PollAnswer.objects.update_or_create(
            slot=slots[slot_id], doctor=doctor, defaults={"answer": answer}
        )


@transaction.atomic
def poll_close(*, actor: Any, meeting: Meeting, slot: PollSlot, invite: bool = True) -> Meeting:
    """Settle on one date; the invitation goes out to every member at once."""
    if slot.meeting_id != meeting.pk:
        raise DomainError(_("Choose one of the poll's dates."))
    if meeting.poll_closed_at:
        raise DomainError(_("The poll is closed."))
    meeting.starts, meeting.ends = slot.starts, slot.ends
    meeting.poll_closed_at = timezone.now()
    meeting.save(update_fields=["starts", "ends", "poll_closed_at"])
    audit_log(
        actor=actor,
        action="meetings.poll.closed",
        target=meeting,
        scope=_scope(meeting),
        data={"starts": slot.starts.isoformat()},
    )
    if invite:
        meeting_invite(actor=actor, meeting=meeting)
    return meeting


# --- "I am coming / I am not coming" ----------------------------------------------------


@transaction.atomic
def rsvp_give(*, doctor: Doctor, meeting: Meeting, coming: bool) -> Rsvp:
    """A doctor invited to a dated meeting says whether they will come; answering again
    replaces the answer, until the meeting begins. The coordinator reads the answers
    beside the attendance list; attendance itself stays what actually happened."""
    _lock(meeting)  # one answer per doctor, even for a double click
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is cancelled."))
    if meeting.starts is None:
        raise DomainError(_("The date is not set yet; answer the date poll instead."))
    if meeting.starts <= timezone.now():
        raise DomainError(_("The meeting has begun; the answer can no longer be changed."))
    if doctor.pk not in {d.pk for d in selectors.invited_doctors(meeting)}:
        raise DomainError(_("Only the doctors invited to the meeting can answer."))
    rsvp, _new = Rsvp.objects.update_or_create(
        meeting=meeting,
        doctor=doctor,
        defaults={"coming": bool(coming), "answered_at": timezone.now()},
    )
    audit_log(
        actor=doctor.user if doctor.user_id else None,
        action="meetings.rsvp.given",
        target=meeting,
        scope=_scope(meeting),
        data={"doctor": doctor.pk, "coming": bool(coming)},
    )
    return rsvp


# --- Invitations ------------------------------------------------------------------------


def notice_deadline(meeting: Meeting) -> dt.date | None:
    """For a general assembly, the last day the invitation may go out under the
    statutes' notice period (GOV-5); None for other meetings."""
    from klynge.governance.selectors import statutes_on

    if not meeting.is_general_assembly or meeting.starts is None:
        return None
    day = selectors.meeting_date(meeting)
    statutes = statutes_on(cluster=meeting.own_cluster, on=day)
    days = statutes.notice_days if statutes else settings.KLYNGE_DEFAULT_NOTICE_DAYS
    return day - dt.timedelta(days=days)


def _check_notice(meeting: Meeting) -> None:
    """A general assembly's invitation (or a move of its date) must respect the
    statutes' notice period."""
    deadline = notice_deadline(meeting)
    if deadline is not None and timezone.localdate() > deadline:
        raise DomainError(
            _(
                "The statutes require notice by %(deadline)s for a general assembly on "
                "%(day)s. Choose a date on or after %(earliest)s."
            )
            % {
                "deadline": format_date(deadline),
                "day": format_date(selectors.meeting_date(meeting)),
                "earliest": format_date(
                    timezone.localdate() + (selectors.meeting_date(meeting) - deadline)
                ),
            }
        )


@transaction.atomic
def meeting_invite(*, actor: Any, meeting: Meeting) -> list[Dispatch]:
    """Invite everyone (MEET-1): Danish e-mail with the agenda and an `.ics`, and a
    reminder before the meeting. A general assembly must respect the notice period."""
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is cancelled."))
    if meeting.starts is None:
        raise DomainError(_("Set the date first, or close the date poll."))
    if meeting.starts <= timezone.now():
        raise DomainError(_("The meeting has begun; invitations can no longer be sent."))
    _check_notice(meeting)
    kind = Dispatch.Kind.UPDATE if meeting.invited_at else Dispatch.Kind.INVITATION
    if meeting.invited_at:
        meeting.sequence += 1
    meeting.invited_at = timezone.now()
    meeting.save(update_fields=["invited_at", "sequence"])
    dispatches = _dispatch_to_invited(meeting, kind)
    if not dispatches:
        raise DomainError(_("No member has an e-mail address; add them in the register first."))
    _schedule_reminders(meeting)
    audit_log(
        actor=actor,
        action="meetings.meeting.invited",
        target=meeting,
        scope=_scope(meeting),
        data={"recipients": len(dispatches), "sequence": meeting.sequence},
    )
    return dispatches


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting: Meeting) -> Meeting:
    """Cancel; the invited get a cancellation for the same calendar event."""
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is already cancelled."))
    if selectors.minutes_locked(meeting):
        raise DomainError(_("The meeting's minutes are approved; it cannot be cancelled."))
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.save(update_fields=["cancelled_at", "sequence"])
    if meeting.invited_at and meeting.starts:
        _dispatch_to_invited(meeting, Dispatch.Kind.CANCELLATION)
    audit_log(
        actor=actor, action="meetings.meeting.cancelled", target=meeting, scope=_scope(meeting)
    )
    return meeting


def _dispatch_to_invited(meeting: Meeting, kind: str) -> list[Dispatch]:
    dispatches = []
    for doctor in selectors.invited_doctors(meeting):
        address = selectors.doctor_email(doctor)
        if address:
            dispatches.append(
                Dispatch(
                    cluster=meeting.cluster,
                    meeting=meeting,
                    kind=kind,
                    recipient=address,
                    name=doctor.name,
                    sequence=meeting.sequence,
                )
            )
    dispatches = Dispatch.objects.bulk_create(dispatches)
    mail.enqueue_all(dispatches)
    return dispatches


def _schedule_reminders(meeting: Meeting) -> None:
    from klynge.meetings.tasks import send_reminders

    assert meeting.starts is not None
    when = meeting.starts - dt.timedelta(hours=settings.KLYNGE_REMINDER_HOURS)
    if when <= timezone.now():
        return
    task = send_reminders.using(run_after=when)
    meeting_id, sequence = meeting.pk, meeting.sequence
    transaction.on_commit(lambda: task.enqueue(meeting_id, sequence))


def reminders_send(*, meeting_id: int, sequence: int) -> int:
    """Run by the worker before the meeting: a reminder to the invited, unless the
    meeting changed (a later reminder is scheduled then) or was cancelled."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        if meeting.is_cancelled or meeting.sequence != sequence:
            return 0
        if Dispatch.objects.filter(
            meeting=meeting, kind=Dispatch.Kind.REMINDER, sequence=sequence
        ).exists():
            return 0
        return len(_dispatch_to_invited(meeting, Dispatch.Kind.REMINDER))


@transaction.atomic
def dispatch_retry(*, actor: Any, dispatch: Dispatch) -> Dispatch:
    """Send a failed e-mail again now."""
    if dispatch.status != Dispatch.Status.FAILED:
        raise DomainError(_("Only a failed e-mail can be sent again."))
    dispatch.status = Dispatch.Status.QUEUED
    dispatch.save(update_fields=["status"])
    mail.enqueue(dispatch)
    audit_log(
        actor=actor,
        action="meetings.mail.retried",
        target=dispatch,
        scope=_scope(dispatch.meeting) if dispatch.meeting else f"cluster:{dispatch.cluster_id}",
        data={"recipient": dispatch.recipient},
    )
    return dispatch


# --- Agenda -----------------------------------------------------------------------------


def _editable(meeting: Meeting) -> None:
    if selectors.minutes_locked(meeting):
        raise DomainError(
            _("The minutes are approved and locked. Start a correction to change them."),
            field="minutes",
        )


@transaction.atomic
def agenda_apply_template(*, actor: Any, meeting: Meeting, template: str) -> list[AgendaItem]:
    if template not in TEMPLATES:
        raise DomainError(_("Choose an agenda template."), field="template")
    _editable(meeting)
    start = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
    items = [
        AgendaItem(
            meeting=meeting,
            position=start + i,
            title=str(item.title),
            description=str(item.description),
            duration=item.duration,
            follow_up=item.follow_up,
        )
        for i, item in enumerate(TEMPLATES[template][1])
    ]
    AgendaItem.objects.bulk_create(items)
    return items


@transaction.atomic
def item_save(
    *,
    actor: Any,
    meeting: Meeting,
    title: str,
    item: AgendaItem | None = None,
    description: str = "",
    owner: Doctor | None = None,
    duration: int | None = None,
    follow_up: bool = False,
) -> AgendaItem:
    _editable(meeting)
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Give the item a title."), field="title")
    if item is None:
        position = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
        item = AgendaItem(meeting=meeting, position=position)
    item.title, item.description, item.owner, item.duration = title, description, owner, duration
    item.follow_up = follow_up
    item.save()
    return item


@transaction.atomic
def item_update(
    *,
    actor: Any,
    item: AgendaItem,
    title: str,
    description: str = "",
    owner: Doctor | None = None,
    duration: int | None = None,
    follow_up: bool = False,
) -> AgendaItem:
    """Change an agenda item after it was made (its title, text, owner, time and
    whether it takes up the open actions), while the minutes are not locked."""
    meeting = item.meeting
    _editable(meeting)
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Give the item a title."), field="title")
    if duration is not None and not 1 <= duration <= 600:
        raise DomainError(_("Give the time in minutes, from 1 to 600."), field="duration")
    if owner is not None and owner.pk not in {d.pk for d in selectors.invited_doctors(meeting)}:
        raise DomainError(_("The owner must be one of the meeting's members."), field="owner")
    new = {
        "title": title,
        "description": description.strip(),
        "owner": owner,
        "duration": duration,
        "follow_up": bool(follow_up),
    }
    changed = sorted(name for name, value in new.items() if getattr(item, name) != value)
    if not changed:
        return item
    for name, value in new.items():
        setattr(item, name, value)
    item.save(update_fields=[*changed])
    audit_log(
        actor=actor,
        action="meetings.agenda.item.changed",
        target=meeting,
        scope=_scope(meeting),
        data={"item": item.pk, "title": title, "changed": changed},
    )
    return item


@transaction.atomic
def item_move(*, actor: Any, item: AgendaItem, up: bool) -> None:
    meeting = item.meeting
    _editable(meeting)
    items = list(meeting.items.all())
    i = items.index(item)
    j = i - 1 if up else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    for position, each in enumerate(items, start=1):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])


@transaction.atomic
def item_delete(*, actor: Any, item: AgendaItem) -> None:
    _editable(item.meeting)
    item.delete()


@transaction.atomic
def attachment_add(*, actor: Any, item: AgendaItem, upload: UploadedFile) -> AgendaAttachment:
    """Attach a file to an agenda item, checked by content and size."""
    _editable(item.meeting)
    uploads.checked_suffix(
        upload,
        allowed=(".pdf", ".docx", ".pptx", ".xlsx", ".odt", ".png", ".jpg", ".jpeg"),
        refusal=_("Attach PDF, Word, PowerPoint, Excel, OpenDocument, PNG or JPEG files."),
        max_bytes=settings.KLYNGE_DOCUMENT_MAX_BYTES,
    )
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    size = upload.size or 0
    attachment = AgendaAttachment(item=item, name=name[:200], size=size, uploaded_by=_user(actor))
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


# --- Attendance -------------------------------------------------------------------------


@transaction.atomic
def attendance_record(*, actor: Any, meeting: Meeting, marks: dict[int, tuple[str, str]]) -> int:
    """Register each doctor as present, absent or excused with a reason (MEET-3)."""
    _editable(meeting)
    if meeting.starts is None:
        raise DomainError(_("Set the date first, or close the date poll."))
    invited = {d.pk for d in selectors.invited_doctors(meeting)}
    valid = set(Attendance.Status.values)
    for doctor_id, (status, reason) in marks.items():
        if doctor_id not in invited:
            raise DomainError(_("Only the meeting's members can be registered."))
        if status not in valid:
            raise DomainError(_("Choose present, absent or excused."))
        if status != Attendance.Status.EXCUSED:
            reason = ""
        Attendance.objects.update_or_create(
            meeting=meeting,
            doctor_id=doctor_id,
            defaults={"status": status, "reason": reason[:200]},
        )
    audit_log(
        actor=actor,
        action="meetings.attendance.recorded",
        target=meeting,
        scope=_scope(meeting),
        data={"marks": len(marks)},
    )
    return len(marks)


@transaction.atomic
def guest_add(
    *, actor: Any, meeting: Meeting, name: str, kind: str, organisation: str = ""
) -> Guest:
    _editable(meeting)
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Write the guest's name."), field="name")
    if kind not in Guest.Kind.values:
        raise DomainError(_("Choose the kind of guest."), field="kind")
    return Guest.objects.create(meeting=meeting, name=name, kind=kind, organisation=organisation)


@transaction.atomic
def guest_remove(*, actor: Any, guest: Guest) -> None:
    _editable(guest.meeting)
    guest.delete()


# --- Minutes ----------------------------------------------------------------------------


@transaction.atomic
def item_notes_save(*, actor: Any, item: AgendaItem, notes: str) -> AgendaItem:
    _editable(item.meeting)
    _draft(item.meeting)
    item.notes = notes.strip()
    item.save(update_fields=["notes"])
    return item


def _lock(meeting: Meeting) -> None:
    """Hold the meeting's row until the transaction ends: writes to its minutes'
    versions (the first draft, approval, a correction) happen one at a time."""
    Meeting.objects.select_for_update().filter(pk=meeting.pk).exists()


def _draft(meeting: Meeting) -> MinutesVersion:
    """The draft being written (the first is opened by the first note)."""
    _lock(meeting)
    latest = selectors.current_minutes(meeting)
    if latest is None:
        return MinutesVersion.objects.create(meeting=meeting, number=1)
    return latest


@transaction.atomic
def decision_add(
    *,
    actor: Any,
    meeting: Meeting,
    text: str,
    item: AgendaItem | None = None,
    indicator: Any = None,
) -> Decision:
    """Record a decision; with an indicator it becomes an intervention drawn on that
    indicator's charts from the meeting's date (DATA-6)."""
    from klynge.quality.models import Intervention

    _editable(meeting)
    _draft(meeting)
    text = text.strip()
    if not text:
        raise DomainError(_("Write the decision."), field="text")
    intervention = None
    if indicator is not None:
        if meeting.starts is None:
            raise DomainError(_("Set the date first, or close the date poll."))
        if meeting.cluster is None:
            raise DomainError(
                _("A network meeting's decisions are not drawn on a cluster's charts."),
                field="indicator",
            )
        day = selectors.meeting_date(meeting)
        intervention = Intervention.objects.create(
            cluster=meeting.cluster,
            indicator=indicator,
            date=day,
            text=text[:300],
            meeting_ref=f"{meeting.title}, {format_date(day)}"[:200],
            created_by=_user(actor),
        )
    decision = Decision.objects.create(
        meeting=meeting, item=item, text=text, intervention=intervention
    )
    audit_log(
        actor=actor,
        action="meetings.decision.added",
        target=decision,
        scope=_scope(meeting),
        data={"indicator": getattr(indicator, "code", "")},
    )
    return decision


@transaction.atomic
def decision_delete(*, actor: Any, decision: Decision) -> None:
    _editable(decision.meeting)
    if decision.intervention is not None:
        decision.intervention.delete()
    decision.delete()


@transaction.atomic
def action_add(
    *,
    actor: Any,
    meeting: Meeting,
    text: str,
    item: AgendaItem | None = None,
    owner: Doctor | None = None,
    due: dt.date | None = None,
) -> Action:
    _editable(meeting)
    _draft(meeting)
    text = " ".join(text.split())
    if not text:
        raise DomainError(_("Write what is to be done."), field="text")
    action = Action.objects.create(meeting=meeting, item=item, text=text, owner=owner, due=due)
    audit_log(actor=actor, action="meetings.action.added", target=action, scope=_scope(meeting))
    return action


@transaction.atomic
def action_delete(*, actor: Any, action: Action) -> None:
    _editable(action.meeting)
    action.delete()


@transaction.atomic
def action_set_status(*, actor: Any, action: Action, status: str) -> Action:
    """Follow-up: an action's status changes after its minutes are approved too (the
    decision to act is locked; doing it is not)."""
    if status not in Action.Status.values:
        raise DomainError(_("Choose open, done or dropped."))
    action.status = status
    action.closed_on = None if status == Action.Status.OPEN else timezone.localdate()
    action.save(update_fields=["status", "closed_on"])
    audit_log(
        actor=actor,
        action="meetings.action.status",
        target=action,
        scope=_scope(action.meeting),
        data={"status": status},
    )
    return action


class MinutesAlreadyApproved(DomainError):
    """The version asked for is approved already (a second click, a second approver):
    nothing was done, and nothing needs doing."""


@transaction.atomic
def minutes_approve(*, actor: Any, meeting: Meeting, number: int | None = None) -> MinutesVersion:
    """Approve the draft: render it to PDF, keep the PDF with its SHA-256, file it in
    the cluster's archive, and lock the minutes (MEET-2).

    `number` is the version the approver read; another version being current is
    refused. Approvals of one meeting run one at a time (the meeting's row is locked)
    and the version is marked approved before its PDF is rendered, so two approvals at
    once give one approved version, one PDF and one archive entry: the second raises
    `MinutesAlreadyApproved`."""
    from klynge.meetings.documents import minutes_pdf

    if meeting.starts is None or meeting.starts > timezone.now():
        raise DomainError(_("Minutes can be approved after the meeting has been held."))
    version = _draft(meeting)  # locks the meeting
    if number is not None and version.number != number:
        if version.number < number:
            raise DomainError(_("This version of the minutes does not exist."))
        raise DomainError(
            _(
                "The minutes have changed since the page was opened: version %(n)s is now"
                " current. Read it before approving."
            )
            % {"n": version.number}
        )
    if version.status == MinutesVersion.Status.APPROVED:
        raise MinutesAlreadyApproved(_("These minutes are already approved."))
    version.status = MinutesVersion.Status.APPROVED
    version.approved_at = timezone.now()
    version.approved_by = _user(actor)
    version.save(update_fields=["status", "approved_at", "approved_by"])
    content = minutes_pdf(meeting, version)
    version.sha256 = hashlib.sha256(content).hexdigest()
    day = selectors.meeting_date(meeting)
    if meeting.cluster is not None:
        filename = f"referat-{meeting.cluster.slug}-{day}-v{version.number}.pdf"
    else:
        filename = f"referat-netvaerk-{meeting.network_id}-{day}-v{version.number}.pdf"
    version.pdf.save(filename, ContentFile(content), save=False)
    version.save()
    if meeting.cluster is not None:  # a network has no archive: its minutes stay here
        _archive(actor, meeting, version, content, filename)
    audit_log(
        actor=actor,
        action="meetings.minutes.approved",
        target=meeting,
        scope=_scope(meeting),
        data={"version": version.number, "sha256": version.sha256},
    )
    return version


def _archive(
    actor: Any, meeting: Meeting, version: MinutesVersion, content: bytes, filename: str
) -> None:
    """File the approved PDF in the cluster's document archive (GOV-4)."""
    from klynge.documents import services as documents

    documents.document_file_generated(
        actor=actor,
        cluster=meeting.own_cluster,
        folder="Referater",
        title=_("Minutes: %(title)s, %(day)s")
        % {"title": meeting.title, "day": format_date(selectors.meeting_date(meeting))},
        filename=filename,
        content=content,
    )


@transaction.atomic
def minutes_correct(*, actor: Any, meeting: Meeting, reason: str) -> MinutesVersion:
    """Open a correction: the next version, a draft; the approved PDF stays as it was."""
    _lock(meeting)
    latest = selectors.current_minutes(meeting)
    if latest is None or latest.status != MinutesVersion.Status.APPROVED:
        raise DomainError(_("Only approved minutes are corrected; edit the draft instead."))
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_("Say what the correction is about."), field="reason")
    version = MinutesVersion.objects.create(
        meeting=meeting, number=latest.number + 1, correction_reason=reason[:300]
    )
    audit_log(
        actor=actor,
        action="meetings.minutes.correction",
        target=meeting,
        scope=_scope(meeting),
        data={"version": version.number, "reason": reason[:200]},
    )
    return version


# --- Evaluation and announcements -------------------------------------------------------


@transaction.atomic
def evaluation_submit(
    *,
    user: Any,
    meeting: Meeting,
    relevance: int,
    learning: int,
    organisation: int,
    comment: str = "",
) -> EvaluationResponse:
    """An anonymous evaluation (MEET-5): the answer carries no user and no time; the
    receipt that stops a second answer carries no answer."""
    if meeting.starts is None or meeting.starts > timezone.now() or meeting.is_cancelled:
        raise DomainError(_("The meeting can be evaluated once it has been held."))
    for value in (relevance, learning, organisation):
        if value not in range(1, 6):
            raise DomainError(_("Answer each question from 1 to 5."))
    _receipt, new = EvaluationReceipt.objects.get_or_create(meeting=meeting, user=user)
    if not new:
        raise DomainError(_("You have already evaluated this meeting. Thank you."))
    return EvaluationResponse.objects.create(
        meeting=meeting,
        relevance=relevance,
        learning=learning,
        organisation=organisation,
        comment=comment.strip()[:2000],
    )


@transaction.atomic
def announcement_send(*, actor: Any, cluster: Cluster, title: str, body: str) -> Announcement:
    """An announcement to every member by e-mail, kept on the cluster's page (MEET-6)."""
    from klynge.core.dates import today
    from klynge.registry.selectors import cluster_participations_on

    title, body = " ".join(title.split()), body.strip()
    if not title or not body:
        raise DomainError(_("Write a title and a text."), field="title" if not title else "body")
    announcement = Announcement.objects.create(
        cluster=cluster, title=title, body=body, created_by=_user(actor)
    )
    dispatches = []
    for participation in cluster_participations_on(cluster=cluster, on=today()).select_related(
        "doctor__user"
    ):
        address = selectors.doctor_email(participation.doctor)
        if address:
            dispatches.append(
                Dispatch(
                    cluster=cluster,
                    announcement=announcement,
                    kind=Dispatch.Kind.ANNOUNCEMENT,
                    recipient=address,
                    name=participation.doctor.name,
                )
            )
    mail.enqueue_all(Dispatch.objects.bulk_create(dispatches))
    audit_log(
        actor=actor,
        action="meetings.announcement.sent",
        target=announcement,
        scope=f"cluster:{cluster.pk}",
        data={"recipients": len(dispatches)},
    )
    return announcement


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
