"""The guide's grant scheme (Vejledning om klyngetilskud): 10,000 kr. per doctor
capacity once, 4.26 kr. per listed patient per year, supplementary 2.16 kr. in 2019
and 2020 and 0.47 kr. in 2021; no minimum. Regions can add schemes valid from later
dates. Used by the data migration and by the demo generator."""

from decimal import Decimal

DEFAULT_SCHEME = {
    "valid_from": "2017-01-01",
    "name": "Overenskomst 2018 (vejledningens satser)",
    "start_per_capacity": Decimal("10000"),
    "operating_rate": Decimal("4.26"),
    "supplementary": {"2019": "2.16", "2020": "2.16", "2021": "0.47"},
    "minimum_per_year": None,
}


def ensure_default_scheme(GrantScheme) -> None:
    defaults = {k: v for k, v in DEFAULT_SCHEME.items() if k != "valid_from"}
    GrantScheme.objects.get_or_create(valid_from=DEFAULT_SCHEME["valid_from"], defaults=defaults)
