"""Writes of quality data: imports (check, write atomically, undo), consent, the
presentation mode, goals and interventions. Each service owns its transaction and
audit entry."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klynge.core.errors import DomainError
from klynge.core.formatting import format_number
from klynge.core.models import audit_log
from klynge.quality import imports
from klynge.quality.models import (
    ClusterDataSettings,
    Consent,
    Goal,
    ImportRun,
    ImportStatus,
    Indicator,
    Intervention,
    Presentation,
)
from klynge.registry.models import Clinic, Cluster

log = logging.getLogger(__name__)


def import_messages() -> dict[str, str]:
    """The user-facing texts of `imports.check_table`, translated."""
    return {
        "cpr-column": _(
            "The column's name suggests CPR numbers. Files with patient identifiers are refused."
        ),
        "cpr-cell": _(
            "The cell looks like a CPR number. Files with patient identifiers are refused; remove the column or the value."
        ),
        "cpr-filename": _(
            "The file's name looks like a CPR number. Files about patients are refused; rename the file without it."
        ),
        "missing-column": _("The column is missing from the header row."),
        "empty": _("The file has a header row but no data."),
        "provider-format": _("“%(value)s” is not a provider number (6 digits)."),
        "provider-unknown": _("No clinic has provider number %(value)s."),
        "provider-out-of-scope": _("You cannot import data for provider number %(value)s."),
        "indicator-unknown": _("“%(value)s” is not an indicator code in the library."),
        "period-format": _(
            "“%(value)s” is not a period; write 2024-03 (month) or 2024-Q1 (quarter)."
        ),
        "period-range": _("The period %(value)s is outside the years 2000 to next year."),
        "count-format": _("“%(value)s” is not a whole number of zero or more."),
        "numerator-above-denominator": _("The numerator %(value)s is larger than the denominator."),
        "duplicate": _("The same clinic, indicator and period is already on line %(value)s."),
    }


def lookup_tables() -> tuple[dict[str, int], dict[str, tuple[int, bool]]]:
    clinics = dict(Clinic.objects.values_list("provider_number", "id"))
    indicators = {
        code: (pk, unit == "rate_per_1000")
        for code, pk, unit in Indicator.objects.filter(active=True).values_list(
            "code", "id", "unit"
        )
    }
    return clinics, indicators


# --- Imports -----------------------------------------------------------------------------------


def _progress(run: ImportRun, phase: str, percent: int) -> None:
    run.phase, run.progress, run.heartbeat = phase, percent, timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(
        phase=phase, progress=percent, heartbeat=run.heartbeat
    )


def import_run_create(
    *, actor: Any, data: bytes, filename: str, source: str, scope: str = "", keep_file: bool = False
) -> ImportRun:
    """Record a new import. The raw file is stored only when a worker will read it
    (`keep_file`), and deleted as soon as the import has finished."""
    shown_name, cpr_in_name = imports.safe_filename(filename)
    run = ImportRun.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        scope=scope,
        filename=shown_name,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        phase=_("Waiting for a worker"),
    )
    if cpr_in_name:  # refused at once: neither the name nor the file is kept
        message = import_messages()["cpr-filename"]
        return _reject(run, [imports.RowError(0, "", message)], 1, cpr=True)
    if keep_file:
        run.upload.save(f"import-{run.pk}.bin", ContentFile(data), save=True)
    return run


def import_run_execute(
    *,
    run: ImportRun,
    data: bytes | None = None,
    allowed_clinic_ids: set[int] | None = None,
    today: dt.date | None = None,
) -> ImportRun:
    """Check the whole file, then write it in one transaction, or write nothing and keep
    every error. Crashes leave the run as ERROR with its file, so it can be retried."""
    # Take the run: only a queued run is taken, and only by one worker (a duplicate
    # task, or a second recovery, finds it taken and leaves it alone).
    now = timezone.now()
    taken = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started=now, heartbeat=now, attempts=F("attempts") + 1
    )
    run.refresh_from_db()
    if not taken:
        return run
    if data is None:
        with run.upload.open("rb") as fh:
            data = fh.read()
    try:
        _progress(run, _("Reading the file"), 5)
        try:
            cpr = _cpr_outside_the_table(run, data, today)
            if cpr:
                messages = import_messages()
                errors = [
                    imports.RowError(e.line, e.column, messages[e.message])
                    for e in cpr[: imports.MAX_REPORTED_ERRORS]
                ]
                return _reject(run, errors, len(cpr), cpr=True)
            frame = imports.read_table(data, run.filename)
        except imports.FileUnreadable as exc:
            return _reject(
                run,
                [
                    imports.RowError(
                        exc.line, "", _("The file cannot be read: %(reason)s.") % {"reason": exc}
                    )
                ],
                1,
            )
        run.rows_total = frame.height
        _progress(
            run,
            ngettext("Checking %(rows)s row", "Checking %(rows)s rows", frame.height)
            % {"rows": format_number(frame.height)},
            30,
        )
        clinics, indicators = lookup_tables()
        checked = imports.check_table(
            frame,
            clinics=clinics,
            indicators=indicators,
            allowed_clinic_ids=allowed_clinic_ids,
            today=today,
            messages=import_messages(),
        )
        del frame
        if not checked.ok:
            return _reject(run, checked.errors, checked.error_count, cpr=checked.contains_cpr)
        _progress(
            run,
            ngettext("Writing %(rows)s row", "Writing %(rows)s rows", checked.rows)
            % {"rows": format_number(checked.rows)},
            60,
        )
        with transaction.atomic():
            replaced = _write_values(checked.frame, run)
            run.status, run.rows_written, run.rows_replaced = (
                ImportStatus.SUCCEEDED,
                checked.rows,
                replaced,
            )
            run.progress, run.phase, run.finished = 100, _("Done"), timezone.now()
            run.save()
            audit_log(
                actor=run.actor,
                action="quality.import.succeeded",
                target=run,
                scope=run.scope,
                data={"rows": checked.rows, "replaced": replaced, "file": run.filename},
            )
        _discard_upload(run)
        return run
    except Exception:
        log.exception("import run %s crashed", run.pk)  # no file content is logged
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.ERROR,
            phase=_("Interrupted; nothing was written. Try again."),
            finished=timezone.now(),
        )
        run.refresh_from_db()
        raise


def _cpr_outside_the_table(
    run: ImportRun, data: bytes, today: dt.date | None
) -> list[imports.RowError]:
    """CPR-like text where the table check does not look: a workbook's other sheets,
    comments, formulas and properties."""
    if data[:4] == b"PK\x03\x04":
        return imports.find_cpr_in_workbook(data, today)
    return []


def _reject(
    run: ImportRun, errors: list[imports.RowError], count: int, cpr: bool = False
) -> ImportRun:
    run.status, run.error_count = ImportStatus.FAILED, count
    run.errors = [e.as_dict() for e in errors]
    run.progress, run.finished = 100, timezone.now()
    run.phase = (
        _("Refused: the file contains CPR numbers") if cpr else _("Rejected; nothing was written")
    )
    run.save()
    audit_log(
        actor=run.actor,
        action="quality.import.rejected",
        target=run,
        scope=run.scope,
        data={"errors": count, "cpr": cpr, "file": run.filename},
    )
    _discard_upload(run)
    return run


def _discard_upload(run: ImportRun) -> None:
    if run.upload:
        run.upload.delete(save=False)
        ImportRun.objects.filter(pk=run.pk).update(upload="")


STAGE_COLUMNS = "clinic_id, indicator_id, period_kind, period, numerator, denominator"
KEY = ["indicator_id", "clinic_id", "period_kind", "period"]


def _overlaps_existing(cursor, frame) -> bool:
    """Could any row replace a stored value? (A cheap superset test: the same
    indicators and clinics within the file's period range.)"""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM quality_indicatorvalue WHERE indicator_id IN (SELECT unnest(%s::bigint[])) "
        "AND clinic_id IN (SELECT unnest(%s::bigint[])) AND period BETWEEN %s AND %s)"
        if connection.vendor == "postgresql"
        else "SELECT EXISTS (SELECT 1 FROM quality_indicatorvalue WHERE indicator_id IN (SELECT value FROM json_each(%s)) "
        "AND clinic_id IN (SELECT value FROM json_each(%s)) AND period BETWEEN %s AND %s)",
        _overlap_params(frame),
    )
    return bool(cursor.fetchone()[0])


def _overlap_params(frame) -> list:
    import json

    indicators = frame["indicator_id"].unique().sort().to_list()
    clinics = frame["clinic_id"].unique().sort().to_list()
    first, last = frame["period"].min(), frame["period"].max()
    if connection.vendor == "postgresql":
        return [indicators, clinics, first, last]
    return [json.dumps(indicators), json.dumps(clinics), str(first), str(last)]


def _in_key_order(frame) -> bool:
    """Whether the rows are sorted by `KEY` already (`check_table` returns them so):
    each row compared with the one before, which costs a tenth of sorting them."""
    import polars as pl

    if frame.height < 2:
        return True
    later = pl.lit(False)
    for column in reversed(KEY):  # lexicographic: the first differing column decides
        now, before = pl.col(column), pl.col(column).shift(1)
        later = (now > before) | ((now == before) & later)
    ordered = frame.select(
        (later | pl.all_horizontal([pl.col(c) == pl.col(c).shift(1) for c in KEY]))
        .slice(1)
        .fill_null(False)  # a null in the key is not known to be in order
        .all()
    )
    return bool(ordered.item())


def _write_values(frame, run: ImportRun) -> int:
    """Write the checked rows; returns how many stored values they replaced. Call
    inside a transaction.

    New values (the usual case: a new month, a new cluster) go straight into the table
    (PostgreSQL: a binary `COPY`, sorted in index order). Rows that may replace stored
    values are staged first, the values they replace are kept for undo, then upserted."""
    if not _in_key_order(frame):
        frame = frame.sort(KEY)
    with connection.cursor() as cursor:
        if not _overlaps_existing(cursor, frame):
            _insert_new(cursor, frame, run)
            return 0
        _stage(cursor, frame)
        cursor.execute(
            "INSERT INTO quality_replacedvalue (import_run_id, clinic_id, indicator_id, period_kind, period, "
            "numerator, denominator, previous_run_id) "
            "SELECT %s, v.clinic_id, v.indicator_id, v.period_kind, v.period, v.numerator, v.denominator, v.import_run_id "
            "FROM quality_indicatorvalue v JOIN quality_stage s ON s.clinic_id = v.clinic_id "
            "AND s.indicator_id = v.indicator_id AND s.period_kind = v.period_kind AND s.period = v.period",
            [run.pk],
        )
        replaced = max(cursor.rowcount, 0)
        cursor.execute(
            f"INSERT INTO quality_indicatorvalue ({STAGE_COLUMNS}, import_run_id) "
            f"SELECT {STAGE_COLUMNS}, %s FROM quality_stage WHERE true "
            "ON CONFLICT (indicator_id, clinic_id, period_kind, period) DO UPDATE SET "
            "numerator = excluded.numerator, denominator = excluded.denominator, import_run_id = excluded.import_run_id",
            [run.pk],
        )
        cursor.execute("DROP TABLE quality_stage")
    return replaced


def _csv_buffer(frame) -> io.BytesIO:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    return buffer


_PG_EPOCH_DAYS = 10_957  # 2000-01-01, PostgreSQL's day 0, in days since 1970-01-01
_INT4 = 2**31 - 1


def _binary_copy(frame, run_id: int | None = None) -> list | None:
    """The rows in PostgreSQL's binary `COPY` format, columns as `STAGE_COLUMNS` (and
    `import_run_id` when `run_id` is given), as buffers to write in turn; or None when
    a row does not fit the fixed layout (a null, a count beyond a 4-byte integer, a kind
    not one byte): then the CSV path writes it and the database refuses what it must.

    Every field has a fixed width, so the rows are one numpy record array: no text is
    formatted here or parsed by the server. The constant parts of a row (field count,
    lengths, the run) are copied from one template row; each column is byte-swapped to
    network order as a whole before it is placed."""
    import numpy as np
    import polars as pl

    cols = frame.select(
        pl.col("clinic_id").cast(pl.Int64),
        pl.col("indicator_id").cast(pl.Int64),
        pl.col("period_kind").cast(pl.String),
        (pl.col("period").cast(pl.Date).cast(pl.Int32) - _PG_EPOCH_DAYS).alias("period"),
        pl.col("numerator").cast(pl.Int64),
        pl.col("denominator").cast(pl.Int64),
    )
    if cols.height == 0 or sum(cols.null_count().row(0)):
        return None
    kinds = cols["period_kind"]
    if (kinds.str.len_bytes() != 1).any():
        return None
    for name in ("numerator", "denominator"):
        if cols[name].max() > _INT4 or cols[name].min() < -_INT4 - 1:
            return None
    fields = [
        ("count", ">i2"),
        ("l_clinic", ">i4"),
        ("clinic", ">i8"),
        ("l_indicator", ">i4"),
        ("indicator", ">i8"),
        ("l_kind", ">i4"),
        ("kind", "S1"),
        ("l_period", ">i4"),
        ("period", ">i4"),
        ("l_numerator", ">i4"),
        ("numerator", ">i4"),
        ("l_denominator", ">i4"),
        ("denominator", ">i4"),
    ]
    template: dict[str, int] = {
        "count": 6,
        "l_clinic": 8,
        "l_indicator": 8,
        "l_kind": 1,
        "l_period": 4,
        "l_numerator": 4,
        "l_denominator": 4,
    }
    if run_id is not None:
        fields += [("l_run", ">i4"), ("run", ">i8")]
        template.update(count=7, l_run=8, run=run_id)
    layout = np.dtype(fields)
    row = np.zeros(1, dtype=layout)
    for name, number in template.items():
        row[name] = number
    rows = np.empty(cols.height, dtype=layout)
    rows[:] = row[0]  # the constant parts, one row copied
    for name, column, width in (
        ("clinic", "clinic_id", ">i8"),
        ("indicator", "indicator_id", ">i8"),
        ("period", "period", ">i4"),
        ("numerator", "numerator", ">i4"),
        ("denominator", "denominator", ">i4"),
    ):
        rows[name] = cols[column].to_numpy().astype(width)
    distinct = kinds.unique().to_list()
    rows["kind"] = (
        kinds.replace_strict(distinct, [ord(k) for k in distinct], return_dtype=pl.UInt8)
        .to_numpy()
        .view("S1")
    )
    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no extension
    return [header, rows.data.cast("B"), b"\xff\xff"]


def _insert_new(cursor, frame, run: ImportRun) -> None:
    if connection.vendor == "postgresql":
        columns = f"quality_indicatorvalue ({STAGE_COLUMNS}, import_run_id)"
        binary = _binary_copy(frame, run.pk)
        if binary is not None:
            with cursor.cursor.copy(f"COPY {columns} FROM STDIN WITH (FORMAT binary)") as copy:
                for part in binary:
                    copy.write(part)
            return
        buffer = _csv_buffer(frame.with_columns(import_run_id=run.pk))
        with cursor.cursor.copy(f"COPY {columns} FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getbuffer())
    else:
        rows = frame.with_columns(frame["period"].cast(str), import_run_id=run.pk).iter_rows()
        cursor.executemany(
            f"INSERT INTO quality_indicatorvalue ({STAGE_COLUMNS}, import_run_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _stage(cursor, frame) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(
            "CREATE TEMP TABLE quality_stage (clinic_id bigint, indicator_id bigint, period_kind varchar(1), "
            "period date, numerator integer, denominator integer) ON COMMIT DROP"
        )
        binary = _binary_copy(frame)
        form = "binary" if binary is not None else "csv"
        with cursor.cursor.copy(
            f"COPY quality_stage ({STAGE_COLUMNS}) FROM STDIN WITH (FORMAT {form})"
        ) as copy:
            for part in binary if binary is not None else [_csv_buffer(frame).getbuffer()]:
                copy.write(part)
        cursor.execute("ANALYZE quality_stage")  # lets the planner join on the whole key
    else:
        cursor.execute("DROP TABLE IF EXISTS temp.quality_stage")
        cursor.execute(
            "CREATE TEMP TABLE quality_stage (clinic_id integer, indicator_id integer, period_kind text, "
            "period text, numerator integer, denominator integer)"
        )
        cursor.executemany(
            f"INSERT INTO quality_stage ({STAGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
            frame.with_columns(frame["period"].cast(str)).iter_rows(),
        )


@transaction.atomic
def import_run_undo(*, actor: Any, run: ImportRun) -> ImportRun:
    """Remove what the import wrote and put back the values it replaced (unless a later
    import has written them since)."""
    if run.status != ImportStatus.SUCCEEDED:
        raise DomainError(_("Only a completed import can be undone."))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM quality_indicatorvalue WHERE import_run_id = %s", [run.pk])
        cursor.execute(
            f"INSERT INTO quality_indicatorvalue ({STAGE_COLUMNS}, import_run_id) "
            f"SELECT {STAGE_COLUMNS}, previous_run_id FROM quality_replacedvalue r WHERE r.import_run_id = %s "
            # Only values whose own import still stands come back (not ones undone since).
            "AND (r.previous_run_id IS NULL OR EXISTS (SELECT 1 FROM quality_importrun p "
            "WHERE p.id = r.previous_run_id AND p.status = %s)) "
            "ON CONFLICT (indicator_id, clinic_id, period_kind, period) DO NOTHING",
            [run.pk, ImportStatus.SUCCEEDED],
        )
        cursor.execute("DELETE FROM quality_replacedvalue WHERE import_run_id = %s", [run.pk])
    run.status, run.undone, run.undone_by = ImportStatus.UNDONE, timezone.now(), actor
    run.phase = _("Undone")
    run.save()
    audit_log(
        actor=actor,
        action="quality.import.undone",
        target=run,
        scope=run.scope,
        data={"rows": run.rows_written},
    )
    return run


def import_should_run_in_background(size_bytes: int, data: bytes = b"") -> bool:
    """Anything not small goes to the worker; a workbook is judged by what it unpacks
    to (a 700 KB workbook can hold a million rows)."""
    if data[:4] == b"PK\x03\x04":
        with contextlib.suppress(imports.FileUnreadable):  # refused when it is read
            size_bytes = max(size_bytes, imports.unpacked_size(data))
    return size_bytes > settings.KLYNGE_IMPORT_INLINE_MAX_BYTES


# --- Consent and presentation (DATA-3) -------------------------------------------------------


@transaction.atomic
def consent_give(*, actor: Any, clinic: Clinic, cluster: Cluster, start: dt.date) -> Consent:
    """The clinic consents to its data being shown in `cluster` from `start`. Consent is
    to one cluster: it does not travel when the clinic moves."""
    if Consent.objects.filter(clinic=clinic, cluster=cluster).overlapping(start, None).exists():
        raise DomainError(_("The clinic has already consented from that date."))
    consent = Consent.objects.create(clinic=clinic, cluster=cluster, start=start, given_by=actor)
    audit_log(
        actor=actor,
        action="quality.consent.given",
        target=consent,
        scope=f"cluster:{cluster.pk}",
        data={"clinic": clinic.provider_number},
    )
    return consent


@transaction.atomic
def consent_revoke(*, actor: Any, clinic: Clinic, cluster: Cluster, end: dt.date) -> None:
    """Revoke from `end` (the first day without consent). The clinic is never shown as
    a point again, in any view rendered from now on; months it contributed to while it
    consented keep their published totals (changing them would reveal it by
    difference). In open mode the cluster falls back to anonymised presentation, since
    open needs everyone's consent."""
    consents = list(
        Consent.objects.select_for_update()
        .filter(clinic=clinic, cluster=cluster)
        .overlapping(end, None)
    )
    if not consents:
        raise DomainError(_("The clinic has no consent to revoke."))
    for consent in consents:
        if consent.start >= end:  # not begun yet: it never showed anything
            consent.delete()
        else:
            consent.end, consent.revoked = end, end
            consent.save(update_fields=["end", "revoked"])
    audit_log(
        actor=actor,
        action="quality.consent.revoked",
        target=clinic,
        scope=f"cluster:{cluster.pk}",
        data={"end": str(end)},
    )
    ClusterDataSettings.objects.filter(cluster=cluster, presentation=Presentation.OPEN).update(
        presentation=Presentation.ANONYMISED
    )


@transaction.atomic
def presentation_set(
    *, actor: Any, cluster: Cluster, presentation: str, on: dt.date
) -> ClusterDataSettings:
    """Anonymised (default) or open. Open needs consent from every member clinic."""
    from klynge.quality.selectors import clinics_without_consent

    if presentation == Presentation.OPEN:
        missing = clinics_without_consent(cluster=cluster, on=on)
        if missing:
            raise DomainError(
                ngettext(
                    "Open presentation needs consent from every member clinic; %(n)s has not consented.",
                    "Open presentation needs consent from every member clinic; %(n)s have not consented.",
                    len(missing),
                )
                % {"n": len(missing)}
            )
    data_settings, _created = ClusterDataSettings.objects.get_or_create(cluster=cluster)
    data_settings.presentation, data_settings.changed_by = presentation, actor
    data_settings.save()
    audit_log(
        actor=actor,
        action="quality.presentation.changed",
        target=cluster,
        scope=f"cluster:{cluster.pk}",
        data={"presentation": presentation},
    )
    return data_settings


# --- Goals and interventions (DATA-6) ---------------------------------------------------------------


@transaction.atomic
def goal_set(
    *, actor: Any, cluster: Cluster, indicator: Indicator, target: float, note: str = ""
) -> Goal:
    if indicator.unit == "proportion" and not 0 <= target <= 1:
        raise DomainError(_("A target for a share must be between 0 and 100 %."))
    if target < 0:
        raise DomainError(_("The target cannot be negative."))
    goal = Goal.objects.create(
        cluster=cluster,
        indicator=indicator,
        target=target,
        note=note,
        set_by=actor,
        set_on=timezone.localdate(),
    )
    audit_log(
        actor=actor,
        action="quality.goal.set",
        target=goal,
        scope=f"cluster:{cluster.pk}",
        data={"indicator": indicator.code, "target": target},
    )
    return goal


@transaction.atomic
def intervention_add(
    *,
    actor: Any,
    cluster: Cluster,
    indicator: Indicator,
    date: dt.date,
    text: str,
    meeting_ref: str = "",
) -> Intervention:
    if not text.strip():
        raise DomainError(_("Describe what the cluster changed."))
    intervention = Intervention.objects.create(
        cluster=cluster,
        indicator=indicator,
        date=date,
        text=text.strip(),
        meeting_ref=meeting_ref,
        created_by=actor,
    )
    audit_log(
        actor=actor,
        action="quality.intervention.added",
        target=intervention,
        scope=f"cluster:{cluster.pk}",
        data={"indicator": indicator.code, "date": str(date)},
    )
    return intervention


# --- Who may import what, and starting an import ----------------------------------------------------


def import_scope(*, user) -> tuple[str, set[int] | None, str]:
    """(scope, clinic ids the user may import for (None = all), a description)."""
    from klynge.core.dates import today
    from klynge.registry.models import Doctor, RoleAssignment, RoleKind
    from klynge.registry.selectors import cluster_memberships_on, in_region, staff_region

    if getattr(user, "is_secretariat", False):
        return "", None, _("all clinics")
    region = staff_region(user)  # the unit the user serves today (dated posts)
    if region is not None:
        ids = set(Clinic.objects.filter(in_region(region, today())).values_list("id", flat=True))
        return (
            f"region:{region.pk}",
            ids,
            _("the clinics of %(region)s") % {"region": region.name},
        )
    doctor = Doctor.objects.filter(user=user).select_related("clinic").first()
    if doctor is None:
        return "none", set(), _("no clinics")
    on = today()
    # Importing a cluster's file is a data role (docs/privacy.md): whoever imports can
    # plant values and see where they land, so only those already entitled to the
    # cluster's identified data may. A board member without it imports their own clinic.
    led = (
        RoleAssignment.objects.active_on(on)
        .filter(doctor=doctor, role__in=[RoleKind.COORDINATOR, RoleKind.DATA_PERSON])
        .select_related("cluster")
        .first()
    )
    if led is not None:
        ids = {m.clinic_id for m in cluster_memberships_on(cluster=led.cluster, on=on)}
        return (
            f"cluster:{led.cluster_id}",
            ids,
            _("the member clinics of %(cluster)s") % {"cluster": led.cluster.name},
        )
    return (
        f"clinic:{doctor.clinic_id}",
        {doctor.clinic_id},
        _("your own clinic (%(clinic)s)") % {"clinic": doctor.clinic.name},
    )


def import_start(*, actor: Any, data: bytes, filename: str, source: str) -> ImportRun:
    """Check and write a small file now; hand a large one to the worker (progress bar)."""
    from klynge.quality.tasks import import_run_process

    if len(data) > settings.KLYNGE_IMPORT_MAX_BYTES:
        raise DomainError(
            _("The file is larger than %(max)s MB.")
            % {"max": settings.KLYNGE_IMPORT_MAX_BYTES // 1_000_000}
        )
    scope, allowed, _description = import_scope(user=actor)
    if import_should_run_in_background(len(data), data):
        run = import_run_create(
            actor=actor, data=data, filename=filename, source=source, scope=scope, keep_file=True
        )
        if run.status == ImportStatus.FAILED:
            return run
        allowed_list = sorted(allowed) if allowed is not None else None
        transaction.on_commit(lambda: import_run_process.enqueue(run.pk, allowed_list))
        return run
    run = import_run_create(actor=actor, data=data, filename=filename, source=source, scope=scope)
    return import_run_execute(run=run, data=data, allowed_clinic_ids=allowed)


def _requeue(run: ImportRun, *, interrupted: Q) -> bool:
    """Queue an interrupted run again and enqueue its task, exactly once: the
    conditional update lets one caller win when several try at the same time."""
    from klynge.quality.tasks import import_run_process

    queued = ImportRun.objects.filter(interrupted, pk=run.pk).update(
        status=ImportStatus.QUEUED, phase=_("Waiting for a worker"), progress=0
    )
    if not queued:
        return False
    _scope, allowed, _description = import_scope(user=run.actor) if run.actor else ("", None, "")
    allowed_list = sorted(allowed) if allowed is not None else None
    transaction.on_commit(lambda: import_run_process.enqueue(run.pk, allowed_list))
    return True


def _lost(now: dt.datetime | None = None) -> Q:
    """Running runs whose worker has not renewed the heartbeat within the lease."""
    lease = dt.timedelta(seconds=settings.KLYNGE_TASK_LEASE_SECONDS)
    return Q(status=ImportStatus.RUNNING, heartbeat__lt=(now or timezone.now()) - lease)


@transaction.atomic
def import_retry(*, actor: Any, run: ImportRun) -> ImportRun:
    """Run an interrupted import (or one whose worker died) again from its kept file."""
    interrupted = Q(status=ImportStatus.ERROR) | _lost()
    if not run.upload or not _requeue(run, interrupted=interrupted):
        raise DomainError(_("Only an interrupted import can be retried."))
    audit_log(actor=actor, action="quality.import.retried", target=run, scope=run.scope)
    run.refresh_from_db()
    return run


def import_runs_recover(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Runs whose worker died (killed, out of memory, a restart): queued again while
    they have attempts left and their file, else marked interrupted so a person can
    retry them. Nothing was written by a dead worker: the write is one transaction.
    Returns (queued again, marked interrupted). Run by `manage.py recover_tasks`."""
    requeued = interrupted = 0
    for run in ImportRun.objects.filter(_lost(now)):
        with transaction.atomic():
            if run.upload and run.attempts < settings.KLYNGE_TASK_MAX_ATTEMPTS:
                if _requeue(run, interrupted=_lost(now)):
                    requeued += 1
                    audit_log(
                        actor=None,
                        action="quality.import.recovered",
                        target=run,
                        scope=run.scope,
                        data={"attempt": run.attempts + 1},
                    )
                continue
            interrupted += ImportRun.objects.filter(_lost(now), pk=run.pk).update(
                status=ImportStatus.ERROR,
                phase=_("Interrupted; nothing was written. Try again."),
                finished=timezone.now(),
            )
    return requeued, interrupted
