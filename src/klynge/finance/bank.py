"""Bank statements (FIN-3): read a netbank CSV export, match its lines to open items and
book it into the ledger.

The first two parts are pure (no Django): `parse_statement` reads the file as a whole and
either returns every line or raises `StatementError` with every bad line; `match_lines`
pairs lines with open items (an expected grant payout, an expense claim). Only
`statement_import` touches the database, and it imports Django itself, so this module
can be imported and its parser used without Django.

Typical Danish exports are read: semicolon (or comma, or tab) separated, UTF-8 with or
without a BOM, UTF-16 with a BOM or Windows-1252; dates `24-10-2019`, `24.10.2019`,
`24/10/2019` or ISO; amounts with a decimal comma and dot thousands (`-1.250,50`); a
header row naming the columns in Danish or English (`Dato;Tekst;Beløb;Saldo`,
`Bogført;Rentedato;Tekst;Beløb;Saldo`, `Dato;Beskrivelse;Beløb i DKK`, or separate
`Indsat`/`Hævet` columns). Lines above the header (an account name, a period) are
passed over. Line numbers are the file's own (the header is line 1 when it comes
first); 0 means the file as a whole.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from klynge.core.errors import DomainError
from klynge.core.identifiers import parse_amount

if TYPE_CHECKING:
    from klynge.finance.models import Account, Transaction
    from klynge.registry.models import Cluster

MATCH_WINDOW_DAYS = 14
HEADER_SEARCH_ROWS = 20  # how far down the file a header row is looked for


# --- Parsing (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    line: int  # the line in the file (header = 1)
    date: dt.date  # the booking date
    text: str
    amount: Decimal  # positive = money in
    balance: Decimal | None = None


class StatementError(DomainError):
    """The statement cannot be read. `errors` lists every problem as (line, reason),
    sorted by line; line 0 is the file as a whole."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = sorted(errors, key=lambda e: e[0])
        shown = "; ".join(
            (_("line %(line)s: %(reason)s") % {"line": line, "reason": reason} if line else reason)
            for line, reason in self.errors[:5]
        )
        more = len(self.errors) - 5
        if more > 0:
            shown += " " + ngettext("(and %(n)s more)", "(and %(n)s more)", more) % {"n": more}
        super().__init__(
            _("The bank statement was not imported: %(problems)s") % {"problems": shown}
        )


# Normalised header name -> rank (lower is preferred when a file has several).
# The booking date (bogført) beats a generic date, which beats the value/interest date.
_DATE_COLUMNS = {
    **dict.fromkeys(
        [
            "bogfoert",
            "bogfoertdato",
            "bogfoertden",
            "bogfoeringsdato",
            "bogfoeringsdag",
            "bogfort",
            "bogfortdato",
            "bogforingsdato",
            "posteringsdato",
            "posteret",
            "bookingdate",
            "bookeddate",
            "booked",
        ],
        0,
    ),
    **dict.fromkeys(["dato", "date", "transaktionsdato", "transactiondate"], 1),
    **dict.fromkeys(
        ["rentedato", "rentedag", "valoer", "valoerdato", "valor", "valordato", "valuedate"], 2
    ),
}
_TEXT_COLUMNS = {
    **dict.fromkeys(
        [
            "tekst",
            "text",
            "posteringstekst",
            "transaktionstekst",
            "beskrivelse",
            "description",
            "forklaring",
        ],
        0,
    ),
    **dict.fromkeys(["navn", "name", "modtager", "afsender"], 1),
    **dict.fromkeys(["meddelelse", "message", "reference"], 2),
}
_AMOUNT_COLUMNS = {
    **dict.fromkeys(
        ["beloeb", "beloebidkk", "beloebdkk", "beloebikr", "beloebkr", "belob", "amount"], 0
    ),
    **dict.fromkeys(["amountdkk", "amountindkk", "bevaegelse", "postering"], 1),
}
_IN_COLUMNS = {"indsat", "indbetaling", "indbetalt", "ind", "moneyin", "paidin"}
_OUT_COLUMNS = {"haevet", "hevet", "udbetaling", "udbetalt", "ud", "moneyout", "paidout"}
_BALANCE_COLUMNS = {"saldo": 0, "saldoidkk": 0, "saldodkk": 0, "balance": 0, "bogfoertsaldo": 1}


def _normalise_header(name: str) -> str:
    """`Beløb i DKK` -> `beloebidkk`: lower case, æøå spelled out, ASCII letters only."""
    name = name.strip().lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", name)


def _rank(name: str, table: dict[str, int], prefixes: tuple[str, ...] = ()) -> int | None:
    if name in table:
        return table[name]
    if prefixes and name.startswith(prefixes):
        return max(table.values()) + 1
    return None


@dataclass
class _Columns:
    """Where each field is in a row: the column index, or None."""

    date: int | None = None
    text: int | None = None
    amount: int | None = None
    money_in: int | None = None
    money_out: int | None = None
    balance: int | None = None
    names: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> int:
        found = (self.date, self.text, self.amount, self.money_in, self.money_out, self.balance)
        return sum(c is not None for c in found)

    def missing(self) -> list[str]:
        missing = []
        if self.date is None:
            missing.append(_("date (e.g. 'Dato' or 'Bogført')"))
        if self.text is None:
            missing.append(_("text (e.g. 'Tekst' or 'Beskrivelse')"))
        if self.amount is None and (self.money_in is None or self.money_out is None):
            missing.append(_("amount (e.g. 'Beløb', or 'Indsat' and 'Hævet')"))
        return missing


def _map_columns(header: Sequence[str]) -> _Columns:
    columns = _Columns(names=[h.strip() for h in header])
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, index)

    def offer(field_name: str, rank: int | None, index: int) -> None:
        if rank is not None and (field_name not in best or rank < best[field_name][0]):
            best[field_name] = (rank, index)

    for index, raw in enumerate(header):
        name = _normalise_header(raw)
        if not name:
            continue
        offer("date", _rank(name, _DATE_COLUMNS), index)
        offer("text", _rank(name, _TEXT_COLUMNS), index)
        offer("amount", _rank(name, _AMOUNT_COLUMNS, ("beloeb", "belob", "amount")), index)
        offer("balance", _rank(name, _BALANCE_COLUMNS, ("saldo",)), index)
        offer("money_in", 0 if name in _IN_COLUMNS else None, index)
        offer("money_out", 0 if name in _OUT_COLUMNS else None, index)
    for field_name, (_priority, index) in best.items():
        setattr(columns, field_name, index)
    return columns


def _decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), UTF-16 with a BOM, else Windows-1252 (netbank exports
    are often still in it). Never raises: undecodable bytes become U+FFFD."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_SIGNATURES = {
    b"PK\x03\x04": gettext_lazy("an Excel workbook or ZIP archive"),
    b"%PDF": gettext_lazy("a PDF document"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("an old Excel (.xls) workbook"),
    b"\x89PNG": gettext_lazy("an image"),
    b"\xff\xd8\xff": gettext_lazy("an image"),
}


def _rows(text: str, separator: str) -> list[tuple[int, list[str]]]:
    """(first line of the row in the file, cells) for every row, blank rows included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"')
    rows = []
    previous_end = 0
    for cells in reader:
        rows.append((previous_end + 1, cells))
        previous_end = reader.line_num
    return rows


def _find_header(rows: list[tuple[int, list[str]]]) -> tuple[int, _Columns] | None:
    """The first row (of the first few non-blank ones) naming at least two known
    columns: its position in `rows` and the column map."""
    seen = 0
    for position, (_line, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        columns = _map_columns(cells)
        if columns.recognised >= 2:
            return position, columns
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return None


_DMY_RE = re.compile(
    r"^(?P<d>\d{1,2})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?$"
)
_ISO_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$"
)


def parse_date(value: str) -> dt.date:
    """`24-10-2019`, `24.10.2019`, `24/10/2019`, `24-10-19` or `2019-10-24` (a time after
    it is ignored). Raises ValueError with the reason."""
    cleaned = value.strip()
    if not cleaned:
        raise ValueError(_("the date is empty"))
    match = _DMY_RE.match(cleaned) or _ISO_RE.match(cleaned)
    if match is None:
        raise ValueError(_("'%(value)s' is not a date like 24-10-2019") % {"value": cleaned[:40]})
    year = int(match["y"])
    if len(match["y"]) == 2:
        year += 2000
    try:
        return dt.date(year, int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValueError(
            _("'%(value)s' is not a date: there is no such day") % {"value": cleaned[:40]}
        ) from None


def _clean_text(value: str) -> str:
    return " ".join(value.split())


def parse_statement(data: bytes) -> list[StatementLine]:
    """Every line of a netbank CSV export, in file order, or `StatementError` listing
    every problem (bad date, bad amount, missing column). Nothing is partially
    returned."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise StatementError(
                [
                    (
                        0,
                        _("the file is %(kind)s, not a CSV export; export the statement as CSV")
                        % {"kind": kind},
                    )
                ]
            )
    text = _decode(data)
    if "\x00" in text:
        raise StatementError([(0, _("the file is not a text (CSV) file"))])
    if not text.strip():
        raise StatementError([(0, _("the file is empty"))])

    found = None
    try:
        for separator in (";", "\t", ","):
            rows = _rows(text, separator)
            header = _find_header(rows)
            if header is not None and (found is None or header[1].recognised > found[2].recognised):
                found = (rows, header[0], header[1])
    except csv.Error as exc:
        raise StatementError(
            [(0, _("the file could not be read as CSV (%(error)s)") % {"error": exc})]
        ) from None
    if found is None:
        raise StatementError(
            [
                (
                    0,
                    _(
                        "no header row found: the first line should name the columns, "
                        "e.g. Dato;Tekst;Beløb;Saldo"
                    ),
                )
            ]
        )
    rows, position, columns = found
    header_line = rows[position][0]
    missing = columns.missing()
    if missing:
        raise StatementError(
            [(header_line, _("missing column: %(column)s") % {"column": m}) for m in missing]
        )

    lines: list[StatementLine] = []
    errors: list[tuple[int, str]] = []
    for line, cells in rows[position + 1 :]:
        if not any(c.strip() for c in cells):
            continue
        parsed = _parse_row(line, cells, columns, errors)
        if parsed is not None:
            lines.append(parsed)
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([(header_line, _("the statement has no lines below the header"))])
    return lines


def _parse_row(
    line: int, cells: list[str], columns: _Columns, errors: list[tuple[int, str]]
) -> StatementLine | None:
    def cell(index: int | None) -> str | None:
        if index is None or index >= len(cells):
            return None
        return cells[index].strip()

    def required(index: int | None) -> str | None:
        value = cell(index)
        if value is None:
            name = columns.names[index] if index is not None else "?"
            errors.append(
                (
                    line,
                    _(
                        "missing column '%(name)s': the line has %(fields)s fields, "
                        "the header has %(columns)s"
                    )
                    % {"name": name, "fields": len(cells), "columns": len(columns.names)},
                )
            )
        return value

    count = len(errors)
    date = amount = balance = None
    raw_date = required(columns.date)
    raw_text = required(columns.text)
    if raw_date is not None:
        try:
            date = parse_date(raw_date)
        except ValueError as exc:
            errors.append((line, _("bad date: %(reason)s") % {"reason": exc}))
    if columns.amount is not None:
        raw_amount = required(columns.amount)
        if raw_amount is not None:
            try:
                amount = parse_amount(raw_amount)
            except ValueError as exc:
                errors.append((line, _("bad amount: %(reason)s") % {"reason": exc}))
    else:
        raw_in, raw_out = required(columns.money_in), required(columns.money_out)
        if raw_in is not None and raw_out is not None:
            if not raw_in and not raw_out:
                errors.append((line, _("bad amount: neither money in nor money out is given")))
            else:
                try:
                    amount = abs(parse_amount(raw_in or "0")) - abs(parse_amount(raw_out or "0"))
                except ValueError as exc:
                    errors.append((line, _("bad amount: %(reason)s") % {"reason": exc}))
    raw_balance = cell(columns.balance)
    if raw_balance:
        try:
            balance = parse_amount(raw_balance)
        except ValueError as exc:
            errors.append((line, _("bad balance: %(reason)s") % {"reason": exc}))
    if len(errors) > count or date is None or amount is None:
        return None
    return StatementLine(
        line=line, date=date, text=_clean_text(raw_text or ""), amount=amount, balance=balance
    )


# --- Matching (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenItem:
    """Money expected to move: `amount` has the statement's sign (positive = in)."""

    key: str
    date: dt.date
    amount: Decimal
    text: str = ""


@dataclass(frozen=True)
class Match:
    line: StatementLine
    item: OpenItem | None

    @property
    def days(self) -> int | None:
        return None if self.item is None else abs((self.line.date - self.item.date).days)


def match_lines(
    lines: Sequence[StatementLine],
    open_items: Iterable[OpenItem],
    *,
    window_days: int = MATCH_WINDOW_DAYS,
) -> list[Match]:
    """One `Match` per line, in the lines' order. A line matches an item of exactly its
    amount dated at most `window_days` from it; of several, the closest date wins (the
    closest pairs overall are taken first; ties go to the earlier line, then the earlier
    item). Each item is used at most once; a line without one gets `item=None`."""
    by_amount: dict[Decimal, list[tuple[int, OpenItem]]] = defaultdict(list)
    for position, item in enumerate(open_items):
        by_amount[item.amount].append((position, item))
    pairs = []
    for line_position, line in enumerate(lines):
        for item_position, item in by_amount.get(line.amount, ()):
            days = abs((line.date - item.date).days)
            if days <= window_days:
                pairs.append((days, line_position, item_position, item))
    pairs.sort(key=lambda p: p[:3])
    chosen: dict[int, OpenItem] = {}
    used: set[int] = set()
    for _days, line_position, item_position, item in pairs:
        if line_position not in chosen and item_position not in used:
            chosen[line_position] = item
            used.add(item_position)
    return [Match(line, chosen.get(position)) for position, line in enumerate(lines)]


# --- Categories (pure) ------------------------------------------------------------------------

# First rule that matches wins. Transport and lost earnings come first: the grant may
# not pay for them (FIN-3), so they go to the suspense account for the treasurer to
# settle, never to an expense category.
CATEGORY_RULES: list[tuple[str | None, re.Pattern[str]]] = [
    (None, re.compile(r"tabt arbejdsfortjeneste|kørsel|transport|taxa|\bdsb\b|rejseudgift")),
    ("coordinator_fee", re.compile(r"koordinator")),
    ("speaker_fee", re.compile(r"oplægsholder|foredrag")),
    ("other_fees", re.compile(r"honorar")),
    ("venue", re.compile(r"husleje|lokale")),
    ("catering", re.compile(r"catering|forplejning|\bmad\b|frokost|kantine|bageri|restaurant")),
    ("consultancy", re.compile(r"konsulent")),
    ("materials", re.compile(r"materialer|kontorartikler|tryksag|porto")),
]


def guess_category(text: str) -> str | None:
    """The expense category (an `ExpenseCategory` value) a bank text suggests, or None."""
    lowered = text.lower()
    for category, pattern in CATEGORY_RULES:
        if pattern.search(lowered):
            return category
    return None


# --- Booking (Django) -------------------------------------------------------------------------

BANK = "1000"
SUSPENSE = "2000"
GRANT_INCOME = "3000"
OTHER_INCOME = "3900"
NO_TEXT = "Bankpostering"  # fixed, not translated: it is part of the duplicate key
IMPORT_ACTION = "finance.statement.imported"


@dataclass(frozen=True)
class LineOutcome:
    """What happened to one statement line. `status`: "booked" (on `account_code`);
    "duplicate" (the same date, text and amount is booked on the bank account);
    "already_booked" (it matched, by amount and date, a booking made another way,
    e.g. a recorded payout or an expense entered with its receipt); "zero" (nothing to
    book). `transaction_id` is the booking, new or existing."""

    line: StatementLine
    status: str
    account_code: str = ""
    item_key: str | None = None
    transaction_id: int | None = None


@dataclass(frozen=True)
class ImportedStatement:
    """`booked + skipped` is the number of lines; `matched` counts the booked lines that
    matched an open grant item (and went to 3000)."""

    booked: int
    skipped: int
    matched: int
    outcomes: list[LineOutcome]
    transactions: list[Transaction]


def _booking_text(line: StatementLine) -> str:
    return (line.text or NO_TEXT)[:200].strip()


def open_grant_items(*, cluster: Cluster, years: Iterable[int]) -> list[OpenItem]:
    """The grant the region is expected to pay each year (FIN-1/FIN-2), less what is
    already paid — the year's payouts, the one record of it. Due from the first turn of
    the month after the registration was complete, later years from 1 January. Nothing
    while the registration is incomplete or once the cluster is dissolved."""
    from klynge.finance.selectors import grant_row
    from klynge.finance.services import paid_for_year

    items = []
    for year in sorted(set(years)):
        try:
            row = grant_row(cluster=cluster, year=year)
        except ValueError:  # no grant scheme in force that year
            continue
        if row is None or row.first_payout is None or row.first_payout.year > year:
            continue
        due = row.grant.total - paid_for_year(cluster=cluster, year=year)
        if due > 0 and row.cluster.dissolved is None:
            items.append(
                OpenItem(
                    key=f"grant:{year}",
                    date=max(row.first_payout, dt.date(year, 1, 1)),
                    amount=due,
                    text=f"Grant {year}",
                )
            )
    return items


def statement_import(
    *,
    actor: Any,
    cluster: Cluster,
    data: bytes,
    filename: str = "",
    bank_account: Account | None = None,
) -> ImportedStatement:
    """Parse a statement and book every new line in one database transaction.

    Money in debits the bank and credits 3000 when it matches an open grant item (the
    grant expected from the region, exact amount, within 14 days of its due date), else
    3900. Money out credits the bank and debits the expense account of the category
    guessed from the text, else the suspense account 2000.

    Nothing is booked twice: a line whose date, text and amount are already booked on
    the bank account is skipped (as often as it is booked there), so a statement
    imported twice books nothing new; a line matching a booking made another way (a
    recorded payout, an expense entered with its receipt) by amount within 14 days is
    skipped as already booked. On a `StatementError` nothing is written.

    Where each booking came from is a `StatementImport` row (the file, its SHA-256,
    who imported it and when), the bookings' `source`; a line matching an expected grant
    is also recorded as a `Payout` (payouts are the record of what is paid).
    """
    from django.core.files.base import ContentFile
    from django.db import transaction as db_transaction

    from klynge.core.models import audit_log
    from klynge.finance import ledger, services
    from klynge.finance.models import AccountKind, Entry, StatementImport, Transaction
    from klynge.registry.models import Cluster

    lines = parse_statement(data)
    if ledger.books_closed(cluster):
        raise StatementError([(0, _("the cluster is dissolved; its books are closed"))])
    window = dt.timedelta(days=MATCH_WINDOW_DAYS)
    first, last = min(ln.date for ln in lines), max(ln.date for ln in lines)

    with db_transaction.atomic():
        # One import per cluster at a time, so two uploads cannot both book a line.
        list(Cluster.objects.select_for_update().filter(pk=cluster.pk).values_list("pk"))
        accounts = ledger.chart_of_accounts(cluster=cluster)
        bank = bank_account if bank_account is not None else accounts[BANK]
        if bank.cluster_id != cluster.pk or bank.kind != AccountKind.ASSET:
            raise DomainError(
                _("The bank account must be an asset account of this cluster."),
                field="bank_account",
            )

        # What is already on the bank account around the statement's dates.
        existing = list(
            Entry.objects.filter(
                account=bank,
                transaction__cluster=cluster,
                transaction__date__range=(first - window, last + window),
                transaction__reverses__isnull=True,
            ).values_list("transaction_id", "transaction__date", "transaction__text", "amount")
        )
        booked_keys: dict[tuple[dt.date, str, Decimal], list[int]] = defaultdict(list)
        for pk, date, text, amount in existing:
            booked_keys[(date, text, amount)].append(pk)

        outcomes: dict[int, LineOutcome] = {}
        consumed: set[int] = set()
        fresh: list[tuple[int, StatementLine]] = []
        for position, line in enumerate(lines):
            same = booked_keys.get((line.date, _booking_text(line), line.amount))
            if same:
                pk = same.pop(0)
                consumed.add(pk)
                outcomes[position] = LineOutcome(line, "duplicate", transaction_id=pk)
            elif line.amount == 0:
                outcomes[position] = LineOutcome(line, "zero")
            else:
                fresh.append((position, line))

        # Bookings on the bank account made another way (a payout the region recorded,
        # an expense entered with its receipt, a paid claim) that no statement line has
        # claimed yet: a line matching one is already in the books. Bookings of earlier
        # imports are not candidates: they belong to their own statement lines.
        reversed_ids = set(
            Transaction.objects.filter(reverses_id__in=[pk for pk, *_ in existing]).values_list(
                "reverses_id", flat=True
            )
        )
        imported_ids = set(
            Transaction.objects.filter(
                pk__in=[pk for pk, *_ in existing], source__isnull=False
            ).values_list("pk", flat=True)
        )
        source = StatementImport.objects.create(
            cluster=cluster,
            filename=filename[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            imported_by=actor if getattr(actor, "is_authenticated", False) else None,
            bank_account=bank.code,
            first_date=first,
            last_date=last,
            lines=len(lines),
        )
        source.file.save(f"{cluster.slug}-{source.pk}.csv", ContentFile(data), save=False)
        in_books = [
            OpenItem(key=f"booked:{pk}", date=date, amount=amount, text=text)
            for pk, date, text, amount in existing
            if pk not in consumed and pk not in reversed_ids and pk not in imported_ids
        ]
        years = {d.year for ln in lines for d in (ln.date - window, ln.date, ln.date + window)}
        expected = open_grant_items(cluster=cluster, years=years)
        matches = match_lines([ln for _p, ln in fresh], [*in_books, *expected])

        booked: list[Transaction] = []
        matched = 0
        for (position, line), found in sorted(
            zip(fresh, matches, strict=True), key=lambda pair: (pair[0][1].date, pair[0][0])
        ):
            key = found.item.key if found.item is not None else None
            if key is not None and key.startswith("booked:"):
                outcomes[position] = LineOutcome(
                    line, "already_booked", item_key=key, transaction_id=int(key.split(":")[1])
                )
                continue
            if line.amount > 0:
                code = GRANT_INCOME if key is not None else OTHER_INCOME
                other = accounts[code]
            else:
                category = guess_category(line.text)
                other = (
                    next(a for a in accounts.values() if a.category == category)
                    if category
                    else accounts[SUSPENSE]
                )
                code = other.code
            posted = ledger.transaction_post(
                actor=actor,
                cluster=cluster,
                date=line.date,
                text=_booking_text(line),
                lines=[(bank, line.amount), (other, -line.amount)],
                source=source,
            )
            if key is not None and key.startswith("grant:"):
                services.payout_record(
                    actor=actor,
                    cluster=cluster,
                    year=int(key.split(":")[1]),
                    amount=line.amount,
                    paid_on=line.date,
                    booking=posted,
                )
            booked.append(posted)
            matched += key is not None
            outcomes[position] = LineOutcome(line, "booked", code, key, posted.pk)

        result = ImportedStatement(
            booked=len(booked),
            skipped=len(lines) - len(booked),
            matched=matched,
            outcomes=[outcomes[p] for p in range(len(lines))],
            transactions=booked,
        )
        source.booked, source.skipped, source.matched = result.booked, result.skipped, matched
        source.save()
        audit_log(
            actor=actor,
            action=IMPORT_ACTION,
            target=source,
            scope=f"cluster:{cluster.pk}",
            data={
                "sha256": source.sha256,
                "lines": len(lines),
                "booked": result.booked,
                "skipped": result.skipped,
                "matched": result.matched,
                "from": first.isoformat(),
                "to": last.isoformat(),
                "bank_account": bank.code,
            },
        )
    return result
