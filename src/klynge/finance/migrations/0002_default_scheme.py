"""The guide's grant scheme (Vejledning om klyngetilskud): 10,000 kr. per doctor capacity
once, 4.26 kr. per listed patient per year, supplementary 2.16 kr. in 2019 and 2020 and
0.47 kr. in 2021; no minimum. Regions can add schemes valid from later dates."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    GrantScheme = apps.get_model("finance", "GrantScheme")
    GrantScheme.objects.get_or_create(
        valid_from="2017-01-01",
        defaults={
            "name": "Overenskomst 2018 (vejledningens satser)",
            "start_per_capacity": Decimal("10000"),
            "operating_rate": Decimal("4.26"),
            "supplementary": {"2019": "2.16", "2020": "2.16", "2021": "0.47"},
            "minimum_per_year": None,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
