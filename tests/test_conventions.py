"""Conventions of the test suite that keep it independent of test order.

A transactional test ends by emptying the database; with `serialized_rollback` it puts
the migrations' rows (geography, indicators, content types) back. Mixing the two makes
a later serialized test insert content types that already exist, on whichever worker
the order happens to put them — so every transactional test restores."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_transactional_test_restores_the_migrations_rows():
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"django_db\(.*transaction=True", line)
        and "serialized_rollback=True" not in line
    ]
    assert offenders == []
