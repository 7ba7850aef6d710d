"""Seed the guide's grant scheme (see klynge.finance.schemes)."""

from django.db import migrations


def seed(apps, schema_editor):
    from klynge.finance.schemes import ensure_default_scheme

    ensure_default_scheme(apps.get_model("finance", "GrantScheme"))


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
