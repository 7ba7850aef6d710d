"""Danish copy counts correctly: "1 indkaldelse", "2 indkaldelser" (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import ngettext

SRC = Path(__file__).resolve().parents[2] / "src" / "klynge"


@pytest.mark.parametrize(
    ("singular", "plural", "one", "two"),
    [
        (
            "%(n)s invitation is on its way.",
            "%(n)s invitations are on their way.",
            "1 indkaldelse er på vej.",
            "2 indkaldelser er på vej.",
        ),
        (
            "Bank statement: %(n)s line booked.",
            "Bank statement: %(n)s lines booked.",
            "Kontoudtog: 1 linje bogført.",
            "Kontoudtog: 2 linjer bogført.",
        ),
        ("Checking %(rows)s row", "Checking %(rows)s rows", "Tjekker 1 række", "Tjekker 2 rækker"),
        (
            "After it: a signal, the series crosses that median only %(c)s time (at least "
            "%(min)s expected by chance).",
            "After it: a signal, the series crosses that median only %(c)s times (at least "
            "%(min)s expected by chance).",
            "Efter indsatsen: signal, serien krydser den median kun 1 gang (mindst 3 forventet "
            "ved tilfældig variation).",
            "Efter indsatsen: signal, serien krydser den median kun 2 gange (mindst 3 forventet "
            "ved tilfældig variation).",
        ),
    ],
)
def test_danish_singular_and_plural(singular, plural, one, two):
    with translation.override("da"):
        key = "rows" if "rows" in singular else "c" if "%(c)s" in singular else "n"
        assert ngettext(singular, plural, 1) % {key: 1, "min": 3} == one
        assert ngettext(singular, plural, 2) % {key: 2, "min": 3} == two


# A count followed by an English plural noun in a plain gettext call: "1 invitations".
COUNTED = re.compile(r"""\b_\(\s*["'][^"']*%\((n|count|rows|c)\)s (?!is\b|was\b|has\b)[a-z]+s\b""")
# A signal is a run of at least six months (METHODS.md), never one.
NEVER_ONE = ("Signal: %(n)s months", "After it: a signal, %(n)s months")


def test_no_count_is_translated_without_a_plural():
    found = [
        f"{path.relative_to(SRC)}: {match.group(0)}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        for match in COUNTED.finditer(path.read_text())
        if not match.group(0).split('"', 1)[-1].startswith(NEVER_ONE)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("rows", "text"),
    [(1, "Kvalitetsdata indlæst: 1 værdi."), (2000, "Kvalitetsdata indlæst: 2.000 værdier.")],
)
def test_templates_count_in_danish(rows, text):
    from django.template.loader import render_to_string

    with translation.override("da"):
        rendered = render_to_string(
            "core/log_entry/quality.import.succeeded.html", {"data": {"rows": rows}}
        )
    assert rendered.strip() == text
