"""FIN-3 bank statements: reading Danish netbank CSV exports, matching lines to open
items, and booking a statement into the ledger in one transaction, without duplicates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klynge.core.errors import DomainError
from klynge.finance import bank, ledger
from klynge.finance.bank import (
    OpenItem,
    StatementError,
    StatementLine,
    match_lines,
    parse_amount,
    parse_date,
    parse_statement,
    statement_import,
)
from klynge.finance.models import StatementImport


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; the Danish catalogue is a view concern."""
    from django.utils import translation

    with translation.override("en"):
        yield


D = Decimal


def statement(*rows: str, header: str = "Dato;Tekst;Beløb;Saldo", encoding="cp1252") -> bytes:
    """A netbank export as the bank writes it: CRLF lines, Windows-1252 by default."""
    return "\r\n".join([header, *rows, ""]).encode(encoding)


# --- Amounts and dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("-1.250,50", D("-1250.50")),
        ("327.800,00", D("327800.00")),
        ("1.234.567,89", D("1234567.89")),
        ("1250,5", D("1250.50")),
        ("+12,00", D("12.00")),
        ("1.250,50-", D("-1250.50")),  # a trailing minus, as some banks print it
        ("\u221299,95", D("-99.95")),  # the typographic minus sign
        ("- 5,00", D("-5.00")),
        ("1 250,00", D("1250.00")),
        ("1\u00a0250,00", D("1250.00")),
        ("1.250", D("1250.00")),  # dot thousands without decimals
        ("1250.50", D("1250.50")),  # a decimal point with one or two decimals
        ("kr. 100,00", D("100.00")),
        ("1.250,50 kr.", D("1250.50")),
        ("-0,00", D("0.00")),
    ],
)
def test_danish_amounts_are_read_exactly(text, amount):
    parsed = parse_amount(text)
    assert parsed == amount
    assert parsed.as_tuple().exponent == -2  # always two decimals, like Entry.amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("abc", "not an amount"),
        ("1,2,3", "not an amount"),
        ("1.25,00", "not an amount"),  # a dot that does not separate thousands
        ("12.5.0", "not an amount"),
        ("1,234", "more than two decimals"),
        ("-1.250,50-", "two signs"),
        ("1.000.000.000.000,00", "too large"),
        ("100000000000000000000000000", "too large"),  # beyond Decimal's 28 digits
        ("1,00000000000000000000000000001", "more than two decimals"),
    ],
)
def test_a_bad_amount_is_refused_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_amount(text)


def danish(amount: Decimal, *, thousands: str = ".", trailing_minus: bool = False) -> str:
    """How a Danish netbank prints an amount: `-1.234.567,89`."""
    whole, cents = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", thousands)
    if amount < 0:
        return f"{grouped},{cents}-" if trailing_minus else f"-{grouped},{cents}"
    return f"{grouped},{cents}"


AMOUNTS = st.decimals(
    min_value=D("-999999999999.99"),
    max_value=D("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(AMOUNTS)
def test_a_formatted_amount_reads_back_as_the_same_decimal(amount):
    assert parse_amount(danish(amount)) == amount


@given(AMOUNTS, st.sampled_from([".", " ", "\u00a0"]), st.booleans())
def test_any_thousands_separator_and_sign_style_reads_back(amount, thousands, trailing):
    text = danish(amount, thousands=thousands, trailing_minus=trailing)
    assert parse_amount(text) == amount


@given(st.text(max_size=30))
def test_the_amount_parser_gives_a_decimal_or_a_value_error_never_anything_else(text):
    try:
        parsed = parse_amount(text)
    except ValueError:
        return
    assert isinstance(parsed, Decimal)
    assert parsed == parsed.quantize(D("0.01"))


@pytest.mark.parametrize(
    "text", ["24-10-2019", "24.10.2019", "2019-10-24", "24/10/2019", "24-10-19", "2019-10-24 00:00"]
)
def test_danish_and_iso_dates_are_read(text):
    assert parse_date(text) == dt.date(2019, 10, 24)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-02-2019", "no such day"),
        ("2019-13-01", "no such day"),
        ("24-10.2019", "not a date"),
        ("24-10", "not a date"),
        ("i går", "not a date"),
        ("", "empty"),
    ],
)
def test_a_bad_date_is_refused_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


# --- Reading statements -----------------------------------------------------------------------


def test_a_windows_1252_statement_with_quoted_fields_is_read_line_by_line():
    data = statement(
        '24-10-2019;"Mødelokale Køge; oktober";-1.250,50;326.549,50',
        "",
        '25-10-2019;"Forplejning ""Café Åen""";-800,00;325.749,50',
        "01-11-2019;Region Sjælland klyngetilskud;327.800,00;653.549,50",
    )
    assert b"\xf8" in data  # really Windows-1252 (ø), not UTF-8
    assert parse_statement(data) == [
        StatementLine(
            2, dt.date(2019, 10, 24), "Mødelokale Køge; oktober", D("-1250.50"), D("326549.50")
        ),
        StatementLine(
            4, dt.date(2019, 10, 25), 'Forplejning "Café Åen"', D("-800"), D("325749.50")
        ),
        StatementLine(
            5, dt.date(2019, 11, 1), "Region Sjælland klyngetilskud", D("327800"), D("653549.50")
        ),
    ]


@pytest.mark.parametrize(
    ("header", "booking_column"),
    [
        ("Bogført;Rentedato;Tekst;Beløb;Saldo", 0),
        ("Rentedato;Bogført;Tekst;Beløb;Saldo", 1),
        ("Transaktionsdato;Bogføringsdato;Tekst;Beløb;Saldo", 1),
        ("Valørdato;Dato;Tekst;Beløb;Saldo", 1),
    ],
)
def test_the_booking_date_is_taken_when_there_are_several_date_columns(header, booking_column):
    dates = ["20.10.2019", "20.10.2019"]
    dates[booking_column] = "24.10.2019"
    data = statement(
        f"{dates[0]};{dates[1]};Husleje;-4.000,00;1.000,00", header=header, encoding="utf-8-sig"
    )
    assert data.startswith(b"\xef\xbb\xbf")
    (line,) = parse_statement(data)
    assert line.date == dt.date(2019, 10, 24)
    assert (line.text, line.amount, line.balance) == ("Husleje", D("-4000"), D("1000"))


def test_an_iso_dated_utf8_statement_without_a_balance_column():
    data = statement(
        "2024-01-05;Honorar oplægsholder;-2.500,00",
        "2024-01-06;Overførsel fra medlem;150,00",
        header="Dato;Beskrivelse;Beløb i DKK",
        encoding="utf-8",
    )
    lines = parse_statement(data)
    assert [(ln.line, ln.date, ln.text, ln.amount, ln.balance) for ln in lines] == [
        (2, dt.date(2024, 1, 5), "Honorar oplægsholder", D("-2500"), None),
        (3, dt.date(2024, 1, 6), "Overførsel fra medlem", D("150"), None),
    ]


def test_columns_are_found_by_name_in_any_order_and_extra_columns_are_ignored():
    data = statement(
        "Gebyr;Afstemt;-25,00;12-03-2024;Nej",
        header="Tekst;Status;Beløb;Dato;Afstemt",
    )
    assert parse_statement(data) == [StatementLine(2, dt.date(2024, 3, 12), "Gebyr", D("-25"))]


def test_separate_money_in_and_money_out_columns():
    data = statement(
        "05-01-2024;Husleje;;1.250,00;8.750,00",
        "06-01-2024;Tilskud;10.000,00;;18.750,00",
        header="Dato;Tekst;Indsat;Hævet;Saldo",
    )
    assert [ln.amount for ln in parse_statement(data)] == [D("-1250"), D("10000")]


def test_comma_and_tab_separated_exports():
    comma = 'Dato,Tekst,Beløb\r\n24-10-2019,"Husleje, oktober","-1.250,50"\r\n'.encode("cp1252")
    tab = "Dato\tTekst\tBeløb\r\n24-10-2019\tHusleje, oktober\t-1.250,50\r\n".encode()
    for data in (comma, tab):
        assert parse_statement(data) == [
            StatementLine(2, dt.date(2019, 10, 24), "Husleje, oktober", D("-1250.50"))
        ]


def test_a_utf16_export_is_read():
    data = "Dato;Tekst;Beløb\r\n24-10-2019;Forplejning;-800,00\r\n".encode("utf-16")
    assert parse_statement(data) == [
        StatementLine(2, dt.date(2019, 10, 24), "Forplejning", D("-800"))
    ]


def test_lines_above_the_header_are_passed_over_and_line_numbers_stay_the_files():
    data = (
        "Kontoudtog for Køgeklyngen;;;\r\n"
        "Konto: 1234 1234567890;;;\r\n"
        "\r\n"
        "Dato;Tekst;Beløb;Saldo\r\n"
        '24-10-2019;"Husleje\r\nkvartal 4";-1.250,50;100,00\r\n'  # a text over two lines
        "25-10-2019;Kaffe;-50,00;50,00\r\n"
    ).encode("cp1252")
    lines = parse_statement(data)
    assert [(ln.line, ln.text) for ln in lines] == [(5, "Husleje kvartal 4"), (7, "Kaffe")]


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_returned():
    data = statement(
        "24-10-2019;Husleje;-1.250,50;10.000,00",
        "32-10-2019;Forplejning;-800,00;9.200,00",
        "25-10-2019;Honorar;-1.2.3;8.000,00",
        "26-10-2019;Mad",
        "",
        "31-02-2019;Kaffe;abc;x",
        "27-10-2019;Porto;-10,00;7.990,00",
    )
    with pytest.raises(StatementError) as refused:
        parse_statement(data)
    errors = refused.value.errors
    assert [line for line, _reason in errors] == [3, 4, 5, 7, 7, 7]
    reasons = dict(errors[:3])
    assert reasons[3] == "bad date: '32-10-2019' is not a date: there is no such day"
    assert reasons[4] == "bad amount: '-1.2.3' is not an amount like -1.250,50"
    assert reasons[5] == "missing column 'Beløb': the line has 2 fields, the header has 4"
    assert [reason.split(":")[0] for _line, reason in errors[3:]] == [
        "bad date",
        "bad amount",
        "bad balance",
    ]
    assert "line 3: bad date" in refused.value.message
    assert isinstance(refused.value, DomainError)  # views show it like any domain error


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Dato;Tekst;Saldo", ["amount"]),
        ("Dato;Beløb;Saldo", ["text"]),
        ("Tekst;Beløb;Saldo", ["date"]),
        ("Dato;Tekst;Indsat;Saldo", ["amount"]),  # money in without money out
    ],
)
def test_a_missing_column_is_reported_on_the_header_line(header, missing):
    data = statement("24-10-2019;Husleje;-1.250,50", header=header)
    with pytest.raises(StatementError) as refused:
        parse_statement(data)
    assert [(line, reason.split(" (")[0]) for line, reason in refused.value.errors] == [
        (1, f"missing column: {m}") for m in missing
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\r\n", "empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image"),
        (bytes(range(256)), "not a text"),
        (b"24-10-2019;Husleje;-1.250,50\r\n", "no header row"),  # data without a header
        (b"Vores kontoudtog\r\nintet her", "no header row"),
        (statement(), "no lines below the header"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, reason):
    with pytest.raises(StatementError) as refused:
        parse_statement(data)
    assert len(refused.value.errors) == 1
    assert reason in refused.value.errors[0][1]


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_garbage_bytes_never_crash_the_parser(data):
    try:
        lines = parse_statement(data)
    except StatementError as refused:
        assert refused.errors
        assert all(isinstance(line, int) and reason for line, reason in refused.errors)
    else:
        assert all(isinstance(ln, StatementLine) for ln in lines)


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_garbage_below_a_good_header_never_crashes_the_parser(tail):
    try:
        parse_statement("Dato;Tekst;Beløb;Saldo\r\n".encode("cp1252") + tail)
    except StatementError as refused:
        assert all(line >= 0 for line, _reason in refused.errors)


ROWS = st.lists(
    st.tuples(
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
        st.text(alphabet="abcxyzæøåÆØÅé ;,.-\"'0123456789", min_size=1, max_size=30),
        AMOUNTS,
        st.sampled_from(["%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]),
    ),
    min_size=1,
    max_size=8,
)


@given(ROWS, st.sampled_from(["cp1252", "utf-8", "utf-8-sig"]))
def test_a_statement_written_by_a_csv_writer_reads_back(rows, encoding):
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Bogført", "Tekst", "Beløb"])
    for date, text, amount, date_format in rows:
        writer.writerow([date.strftime(date_format), text, danish(amount)])
    lines = parse_statement(out.getvalue().encode(encoding))
    assert [(ln.line, ln.date, ln.text, ln.amount) for ln in lines] == [
        (number, date, " ".join(text.split()), amount)
        for number, (date, text, amount, _f) in enumerate(rows, start=2)
    ]


# --- Matching ---------------------------------------------------------------------------------


def line(number: int, day: int, amount: str, text: str = "") -> StatementLine:
    return StatementLine(number, dt.date(2024, 1, day), text, D(amount))


def item(key: str, day: int, amount: str) -> OpenItem:
    return OpenItem(key, dt.date(2024, 1, day), D(amount), key)


def keys(matches) -> list[str | None]:
    return [m.item.key if m.item else None for m in matches]


def test_the_exact_amount_wins_over_a_closer_date():
    matches = match_lines(
        [line(2, 10, "500.00")], [item("near", 10, "499.00"), item("far", 20, "500.00")]
    )
    assert keys(matches) == ["far"]
    assert matches[0].days == 10


def test_of_several_items_with_the_amount_the_closest_date_wins():
    items = [item("a", 1, "100.00"), item("b", 9, "100.00"), item("c", 13, "100.00")]
    assert keys(match_lines([line(2, 10, "100.00")], items)) == ["b"]


def test_the_window_is_fourteen_days_either_side():
    lines = [line(2, 1, "100.00"), line(3, 1, "200.00"), line(4, 31, "300.00")]
    items = [item("in", 15, "100.00"), item("out", 16, "200.00"), item("before", 17, "300.00")]
    assert keys(match_lines(lines, items)) == ["in", None, "before"]


def test_each_item_is_used_once_by_the_closest_line_and_the_order_of_lines_is_kept():
    lines = [line(2, 3, "100.00"), line(3, 9, "100.00"), line(4, 20, "100.00")]
    matches = match_lines(lines, [item("only", 10, "100.00")])
    assert [m.line.line for m in matches] == [2, 3, 4]
    assert keys(matches) == [None, "only", None]


def test_the_sign_matters_money_out_does_not_match_money_in():
    assert keys(match_lines([line(2, 10, "-100.00")], [item("in", 10, "100.00")])) == [None]


def test_no_items_leaves_every_line_unmatched():
    assert keys(match_lines([line(2, 10, "1.00"), line(3, 11, "2.00")], [])) == [None, None]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Husleje mødelokale januar", "venue"),
        ("LOKALELEJE Medborgerhuset", "venue"),
        ("Catering Køge", "catering"),
        ("Forplejning klyngemøde", "catering"),
        ("Mad til mødet", "catering"),
        ("Honorar sekretær", "other_fees"),
        ("Koordinatorhonorar Q1", "coordinator_fee"),
        ("Foredrag om KOL", "speaker_fee"),
        ("Madsen VVS", None),  # "mad" only as a word
        ("Kørsel til klyngemøde honorar", None),  # transport is never an expense category
        ("Tabt arbejdsfortjeneste", None),
        ("MobilePay 12345678", None),
    ],
)
def test_the_category_is_guessed_from_the_bank_text(text, category):
    assert bank.guess_category(text) == category


# --- Importing --------------------------------------------------------------------------------

GRANT_2024 = D("40896.00")  # 4.26 kr. × 9,600 listed patients (3 clinics × 3,200)

JANUARY = statement(
    '02-01-2024;01-01-2024;"Region Sjælland, klyngetilskud 2024";40.896,00;40.896,00',
    "05-01-2024;05-01-2024;Husleje mødelokale januar;-1.250,50;39.645,50",
    "08-01-2024;08-01-2024;Forplejning Café Køge;-800,00;38.845,50",
    "10-01-2024;10-01-2024;Honorar oplæg diabetes;-2.000,00;36.845,50",
    "12-01-2024;12-01-2024;Renteindtægt;12,50;36.858,00",
    "15-01-2024;15-01-2024;Kørsel til klyngemøde;-300,00;36.558,00",
    "20-01-2024;20-01-2024;MobilePay 12345678;-99,95;36.458,05",
    header="Bogført;Rentedato;Tekst;Beløb;Saldo",
)
JANUARY_BALANCES = {
    "1000": D("36458.05"),  # the bank, as the statement's last balance
    "3000": -GRANT_2024,
    "3900": D("-12.50"),
    "4002": D("2000.00"),  # other fees
    "4003": D("1250.50"),  # venue
    "4004": D("800.00"),  # catering
    "2000": D("399.95"),  # suspense: transport and the unknown MobilePay
}


@pytest.fixture
def world(db):
    from klynge.registry.models import Cluster
    from tests.world import build_world

    world = build_world()
    # The grant is due from the first turn of the month after a complete registration.
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    world.cluster_a.refresh_from_db()
    return world


def _imports():
    from klynge.core.models import AuditEntry

    return AuditEntry.objects.filter(action="finance.statement.imported")


def _transactions(cluster):
    from klynge.finance.models import Transaction

    return Transaction.objects.filter(cluster=cluster)


@pytest.mark.django_db
def test_the_expected_grant_is_an_open_item(world):
    items = bank.open_grant_items(cluster=world.cluster_a, years=[2024])
    assert items == [OpenItem("grant:2024", dt.date(2024, 1, 1), GRANT_2024, "Grant 2024")]


@pytest.mark.django_db
def test_a_statement_is_booked_line_by_line_and_the_books_balance(world):
    cluster = world.cluster_a
    result = statement_import(actor=world.users["board_a"], cluster=cluster, data=JANUARY)
    assert (result.booked, result.skipped, result.matched) == (7, 0, 1)
    assert ledger.account_balances(cluster=cluster) == JANUARY_BALANCES
    assert ledger.books_check() == []
    assert [(o.line.line, o.status, o.account_code) for o in result.outcomes] == [
        (2, "booked", "3000"),
        (3, "booked", "4003"),
        (4, "booked", "4004"),
        (5, "booked", "4002"),
        (6, "booked", "3900"),
        (7, "booked", "2000"),
        (8, "booked", "2000"),
    ]
    assert result.outcomes[0].item_key == "grant:2024"
    grant = _transactions(cluster).get(pk=result.outcomes[0].transaction_id)
    assert (grant.date, grant.text) == (dt.date(2024, 1, 2), "Region Sjælland, klyngetilskud 2024")
    assert grant.created_by == world.users["board_a"]
    assert [t.pk for t in result.transactions] == sorted(t.pk for t in result.transactions)
    audit = _imports().get()
    assert (audit.data["booked"], audit.data["lines"], audit.data["to"]) == (7, 7, "2024-01-20")


@pytest.mark.django_db
def test_importing_the_same_statement_twice_books_nothing_new(world):
    cluster = world.cluster_a
    statement_import(actor=None, cluster=cluster, data=JANUARY)
    count = _transactions(cluster).count()
    again = statement_import(actor=None, cluster=cluster, data=JANUARY)
    assert (again.booked, again.skipped, again.matched) == (0, 7, 0)
    assert {o.status for o in again.outcomes} == {"duplicate"}
    assert _transactions(cluster).count() == count == 7
    assert ledger.account_balances(cluster=cluster) == JANUARY_BALANCES
    assert ledger.books_check() == []


@pytest.mark.django_db
def test_an_overlapping_statement_books_only_its_new_lines(world):
    cluster = world.cluster_a
    statement_import(actor=None, cluster=cluster, data=JANUARY)
    overlapping = statement(
        "20-01-2024;20-01-2024;MobilePay 12345678;-99,95;36.458,05",
        "01-02-2024;01-02-2024;Husleje mødelokale februar;-1.250,50;35.207,55",
        header="Bogført;Rentedato;Tekst;Beløb;Saldo",
    )
    result = statement_import(actor=None, cluster=cluster, data=overlapping)
    assert [o.status for o in result.outcomes] == ["duplicate", "booked"]
    assert ledger.account_balances(cluster=cluster)["1000"] == D("35207.55")


@pytest.mark.django_db
def test_identical_lines_in_one_statement_are_all_booked_and_counted_on_reimport(world):
    cluster = world.cluster_a
    fee = "29-02-2024;Gebyr;-25,00;"
    assert statement_import(actor=None, cluster=cluster, data=statement(fee, fee)).booked == 2
    assert statement_import(actor=None, cluster=cluster, data=statement(fee, fee)).booked == 0
    third = statement_import(actor=None, cluster=cluster, data=statement(fee, fee, fee))
    assert [o.status for o in third.outcomes] == ["duplicate", "duplicate", "booked"]
    assert ledger.account_balances(cluster=cluster)["1000"] == D("-75.00")


@pytest.mark.django_db
def test_duplicates_are_per_cluster(world):
    statement_import(actor=None, cluster=world.cluster_a, data=JANUARY)
    other = statement_import(actor=None, cluster=world.cluster_b, data=JANUARY)
    assert other.booked == 7
    assert ledger.account_balances(cluster=world.cluster_b)["1000"] == D("36458.05")
    assert ledger.books_check() == []


@pytest.mark.django_db
def test_a_long_text_is_cut_to_the_field_and_still_recognised_on_reimport(world):
    data = statement(f"03-01-2024;Husleje {'x' * 300};-10,00;")
    first = statement_import(actor=None, cluster=world.cluster_a, data=data)
    assert len(first.transactions[0].text) == 200
    assert statement_import(actor=None, cluster=world.cluster_a, data=data).skipped == 1


@pytest.mark.django_db
def test_a_payout_the_region_recorded_is_not_booked_again_from_the_statement(world):
    from klynge.finance.services import payout_record

    cluster = world.cluster_a
    payout_record(
        actor=world.users["region_a"],
        cluster=cluster,
        year=2024,
        amount=GRANT_2024,
        paid_on=dt.date(2024, 1, 1),
    )
    recorded = _transactions(cluster).get()
    assert bank.open_grant_items(cluster=cluster, years=[2024]) == []
    result = statement_import(actor=None, cluster=cluster, data=JANUARY)
    assert (result.booked, result.skipped, result.matched) == (6, 1, 0)
    first = result.outcomes[0]
    assert (first.status, first.transaction_id) == ("already_booked", recorded.pk)
    assert ledger.account_balances(cluster=cluster)["3000"] == -GRANT_2024
    assert ledger.account_balances(cluster=cluster)["1000"] == D("36458.05")
    assert ledger.books_check() == []


@pytest.mark.django_db
def test_an_expense_entered_with_its_receipt_is_not_booked_again(world):
    cluster = world.cluster_a
    entered = ledger.expense_record(
        actor=None,
        cluster=cluster,
        date=dt.date(2024, 1, 4),  # the day the invoice was paid; the bank books it a day later
        text="Mødelokale januar",
        category="venue",
        amount=D("1250.50"),
    )
    result = statement_import(actor=None, cluster=cluster, data=JANUARY)
    second = result.outcomes[1]
    assert (second.line.line, second.status, second.transaction_id) == (
        3,
        "already_booked",
        entered.pk,
    )
    assert result.booked == 6
    assert ledger.account_balances(cluster=cluster)["4003"] == D("1250.50")
    assert ledger.account_balances(cluster=cluster)["1000"] == D("36458.05")


@pytest.mark.django_db
def test_a_reversed_expense_is_not_in_the_books_so_the_line_is_booked(world):
    cluster = world.cluster_a
    entered = ledger.expense_record(
        actor=None,
        cluster=cluster,
        date=dt.date(2024, 1, 4),
        text="Mødelokale januar",
        category="venue",
        amount=D("1250.50"),
    )
    ledger.transaction_reverse(actor=None, booked=entered, date=dt.date(2024, 1, 4), reason="fejl")
    result = statement_import(actor=None, cluster=cluster, data=JANUARY)
    assert (result.outcomes[1].status, result.outcomes[1].account_code) == ("booked", "4003")
    assert ledger.account_balances(cluster=cluster)["4003"] == D("1250.50")


@pytest.mark.django_db
def test_a_booking_of_an_earlier_import_is_never_taken_for_a_new_line(world):
    cluster = world.cluster_a
    january = statement_import(
        actor=None, cluster=cluster, data=statement("31-01-2024;Gebyr januar;-25,00;")
    )
    source = StatementImport.objects.get()
    assert list(source.bookings.all()) == [january.transactions[0]]
    february = statement_import(
        actor=None, cluster=cluster, data=statement("05-02-2024;Gebyr februar;-25,00;")
    )
    assert [o.status for o in february.outcomes] == ["booked"]
    assert ledger.account_balances(cluster=cluster)["1000"] == D("-50.00")


@pytest.mark.django_db
def test_a_dissolved_clusters_books_take_no_statement_and_nothing_is_written(world):
    from klynge.registry.models import Cluster

    Cluster.objects.filter(pk=world.cluster_a.pk).update(dissolved=dt.date(2024, 1, 10))
    world.cluster_a.refresh_from_db()
    with pytest.raises(StatementError) as refused:
        statement_import(actor=None, cluster=world.cluster_a, data=JANUARY)
    assert refused.value.errors == [(0, "the cluster is dissolved; its books are closed")]
    assert not _transactions(world.cluster_a).exists()
    assert not StatementImport.objects.exists()


@pytest.mark.django_db
def test_an_import_is_a_source_model_who_when_which_file_and_its_hash(world):
    """Provenance is a model (byro's RealTransactionSource), not read from the log."""
    import hashlib

    from klynge.core.models import AuditEntry

    result = statement_import(
        actor=world.users["board_a"], cluster=world.cluster_a, data=JANUARY, filename="jan.csv"
    )
    source = StatementImport.objects.get()
    assert (source.filename, source.sha256, source.imported_by) == (
        "jan.csv",
        hashlib.sha256(JANUARY).hexdigest(),
        world.users["board_a"],
    )
    assert source.file.read() == JANUARY
    assert (source.lines, source.booked) == (len(result.outcomes), result.booked)
    assert set(source.bookings.all()) == set(result.transactions)
    # Dropping the audit trail does not make earlier imports' bookings look foreign.
    AuditEntry.objects.all().delete()
    again = statement_import(actor=None, cluster=world.cluster_a, data=JANUARY)
    assert again.booked == 0


@pytest.mark.django_db
def test_a_matched_grant_line_is_recorded_as_a_payout_the_one_record_of_paid(world):
    from klynge.finance.models import Payout

    data = statement("02-01-2024;Region Sjælland;40.896,00;")
    result = statement_import(actor=None, cluster=world.cluster_a, data=data)
    payout = Payout.objects.get()
    assert (payout.year, payout.amount, payout.booking) == (
        2024,
        D("40896.00"),
        result.transactions[0],
    )
    assert bank.open_grant_items(cluster=world.cluster_a, years=[2024]) == []


@pytest.mark.parametrize(
    ("date", "amount", "account"),
    [
        ("15-01-2024", "40.896,00", "3000"),  # 14 days after it was due
        ("16-01-2024", "40.896,00", "3900"),  # 15 days: not the grant
        ("02-01-2024", "40.000,00", "3900"),  # another amount
        ("02-01-2024", "-40.896,00", "2000"),  # money out is never the grant
    ],
)
@pytest.mark.django_db
def test_incoming_money_is_the_grant_only_on_an_exact_amount_near_its_due_date(
    world, date, amount, account
):
    data = statement(f"{date};Region Sjælland;{amount};")
    result = statement_import(actor=None, cluster=world.cluster_a, data=data)
    assert result.outcomes[0].account_code == account
    assert result.matched == (account == "3000")


@pytest.mark.django_db
def test_no_grant_is_expected_while_the_registration_is_incomplete(world):
    cluster = world.cluster_b
    assert cluster.registration_completed is None
    assert bank.open_grant_items(cluster=cluster, years=[2024]) == []
    result = statement_import(
        actor=None, cluster=cluster, data=statement("02-01-2024;Region Hovedstaden;27.264,00;")
    )
    assert result.outcomes[0].account_code == "3900"


@pytest.mark.django_db
def test_a_bad_statement_writes_nothing_at_all(world):
    from klynge.finance.models import Account

    bad = statement("24-10-2019;Husleje;-1.250,50;", "24-13-2019;Kaffe;-50,00;")
    with pytest.raises(StatementError) as refused:
        statement_import(actor=None, cluster=world.cluster_a, data=bad)
    assert refused.value.errors == [
        (3, "bad date: '24-13-2019' is not a date: there is no such day")
    ]
    assert not _transactions(world.cluster_a).exists()
    assert not Account.objects.filter(cluster=world.cluster_a).exists()
    assert not _imports().exists()


@pytest.mark.django_db
def test_a_failure_while_booking_rolls_back_every_line(world, monkeypatch):
    real_post = ledger.transaction_post
    calls = []

    def failing_post(**kwargs):
        calls.append(kwargs["text"])
        if len(calls) == 3:
            raise DomainError("the database went away")
        return real_post(**kwargs)

    monkeypatch.setattr(ledger, "transaction_post", failing_post)
    with pytest.raises(DomainError, match="went away"):
        statement_import(actor=None, cluster=world.cluster_a, data=JANUARY)
    assert len(calls) == 3
    assert not _transactions(world.cluster_a).exists()
    assert not _imports().exists()


@pytest.mark.django_db
def test_another_bank_account_of_the_cluster_can_be_used(world):
    from klynge.finance.models import Account, AccountKind

    savings = Account.objects.create(
        cluster=world.cluster_a, code="1010", name="Opsparing", kind=AccountKind.ASSET
    )
    statement_import(
        actor=None,
        cluster=world.cluster_a,
        data=statement("03-01-2024;Renter;1,25;"),
        bank_account=savings,
    )
    balances = ledger.account_balances(cluster=world.cluster_a)
    assert (balances["1010"], balances["3900"]) == (D("1.25"), D("-1.25"))
    assert "1000" not in balances


@pytest.mark.django_db
def test_a_bank_account_of_another_cluster_or_not_an_asset_is_refused(world):
    theirs = ledger.chart_of_accounts(cluster=world.cluster_b)["1000"]
    income = ledger.chart_of_accounts(cluster=world.cluster_a)["3900"]
    for account in (theirs, income):
        with pytest.raises(DomainError, match="asset account of this cluster"):
            statement_import(
                actor=None, cluster=world.cluster_a, data=JANUARY, bank_account=account
            )
    assert not _transactions(world.cluster_a).exists()
    assert not _transactions(world.cluster_b).exists()


@pytest.mark.django_db
def test_a_zero_line_is_skipped(world):
    data = statement("31-01-2024;Rentetilskrivning;0,00;", "31-01-2024;Gebyr;-25,00;")
    result = statement_import(actor=None, cluster=world.cluster_a, data=data)
    assert [o.status for o in result.outcomes] == ["zero", "booked"]
    assert (result.booked, result.skipped) == (1, 1)
