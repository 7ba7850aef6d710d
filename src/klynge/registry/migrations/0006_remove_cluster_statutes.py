"""The statutes live in governance only (moved by governance 0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_former_slugs"),
        ("governance", "0002_statutes_from_registration"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="cluster",
            name="statutes",
        ),
        migrations.RemoveField(
            model_name="historicalcluster",
            name="statutes",
        ),
    ]
