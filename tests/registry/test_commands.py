"""The registry's management commands: `export_register` (CSV/XLSX, REG-8) and
`generate_dataset` (--replace, --if-empty).

The tests on a generated register share one, built by a class-scoped fixture inside a
transaction that is rolled back after the class (the pattern of test_dataset.py). A
class, not the module, so the tests that need an empty register never see it, whatever
order they run in."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from klynge.demo import dataset
from klynge.registry.exports import COLUMNS
from klynge.registry.models import Clinic, Cluster, Doctor
from tests.factories import build_cluster, rolled_back_dataset

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("registry-commands")]


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_dataset", "--scale", "denmark", "--no-indicators", *args, stdout=out)
    return out.getvalue()


def register_state() -> tuple[int, int, int, list[str]]:
    return (
        Cluster.objects.count(),
        Clinic.objects.count(),
        Doctor.objects.count(),
        list(Cluster.objects.order_by("id").values_list("slug", flat=True)[:5]),
    )


@pytest.fixture(scope="class")
def generated(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with rolled_back_dataset(django_db_blocker, media, "--seed", "1", "--no-users") as output:
        yield output


# --- On an empty register ---------------------------------------------------------------------


def test_export_csv_to_stdout():
    build_cluster(name="Køgeklyngen", clinics=2, doctors_per_clinic=3, cvr="13585628")
    out = io.StringIO()
    call_command("export_register", "--date", "2020-01-01", stdout=out)
    assert out.getvalue().splitlines() == [
        ",".join(COLUMNS),
        "Køgeklyngen,Region Sjælland,Køge,2,6,6,9600,2019-01-01,2019-01-11,13585628",
    ]


def test_export_csv_to_a_file(tmp_path):
    build_cluster(name="Køgeklyngen", clinics=1, doctors_per_clinic=1)
    path = tmp_path / "klynger.csv"
    err = io.StringIO()
    call_command("export_register", "--output", str(path), "--date", "2020-01-01", stderr=err)
    assert (
        path.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith("Køgeklyngen,Region Sjælland,Køge,1,1,")
    )
    assert f"Wrote 1 clusters to {path}" in err.getvalue()


def test_export_before_founding_has_no_clusters():
    build_cluster(name="Køgeklyngen")
    out = io.StringIO()
    call_command("export_register", "--date", "2018-12-31", stdout=out)
    assert out.getvalue().splitlines() == [",".join(COLUMNS)]


@pytest.mark.parametrize("date", ["2025-13-01", "01-01-2025", "i går"])
def test_bad_date_is_a_command_error(date, tmp_path):
    with pytest.raises(CommandError, match="ISO date"):
        call_command("export_register", "--date", date, "--output", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_xlsx_needs_an_output_file():
    with pytest.raises(CommandError, match="--output"):
        call_command("export_register", "--format", "xlsx")


def test_if_empty_generates_the_first_time_only():
    assert not Cluster.objects.exists()
    first = generate("--seed", "3", "--if-empty", "--no-users")
    state = register_state()
    assert "114 clusters" in first and state[0] == 114

    second = generate("--seed", "4", "--if-empty")

    assert "nothing generated" in second
    assert register_state() == state


def test_unknown_scale_is_refused():
    with pytest.raises(CommandError):
        call_command("generate_dataset", "--scale", "atlantis")
    assert "atlantis" not in dataset.SCALES
    assert not Cluster.objects.exists()


# --- On the generated register -----------------------------------------------------------------


@pytest.mark.usefixtures("generated")
class TestOnAGeneratedRegister:
    def test_export_xlsx_is_a_workbook_with_a_row_per_cluster(self, tmp_path):
        path = tmp_path / "klynger.xlsx"
        err = io.StringIO()

        call_command(
            "export_register",
            "--format",
            "xlsx",
            "--output",
            str(path),
            "--date",
            timezone.localdate().isoformat(),  # the register as generated, today
            stderr=err,
        )

        workbook = load_workbook(path, read_only=True)
        rows = list(workbook.active.iter_rows(values_only=True))
        workbook.close()
        assert len(rows) == 115
        assert list(rows[0]) == COLUMNS
        names = [r[0] for r in rows[1:]]
        assert names == sorted(names)
        assert set(names) == set(Cluster.objects.values_list("name", flat=True))
        doctors = [r[COLUMNS.index("doctors")] for r in rows[1:]]
        assert all(isinstance(n, int) for n in doctors)
        assert sum(doctors) == 114 * 29
        assert all(isinstance(r[COLUMNS.index("founded")], dt.datetime) for r in rows[1:])  # dates
        assert "Wrote 114 clusters" in err.getvalue()

    def test_generated_summary(self, generated):
        assert "114 clusters" in generated
        assert "98 municipalities" in generated
        assert Cluster.objects.count() == 114

    def test_generate_twice_without_replace_is_a_command_error(self):
        before = register_state()
        with pytest.raises(CommandError, match="--replace"):
            generate("--seed", "2")
        assert register_state() == before

    def test_if_empty_does_nothing_when_there_is_a_register(self):
        before = register_state()
        output = generate("--seed", "2", "--if-empty")
        assert "nothing generated" in output
        assert register_state() == before
