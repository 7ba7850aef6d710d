"""Consent is given to a cluster (issue 9): existing consents are tied to the cluster the
clinic belonged to when it consented (or, failing that, its latest cluster); a consent
with no cluster to tie it to is dropped, since it could not be shown anywhere."""

import django.db.models.deletion
from django.db import migrations, models


def tie_to_cluster(apps, schema_editor):
    Consent = apps.get_model("quality", "Consent")
    Membership = apps.get_model("registry", "Membership")
    orphans = []
    for consent in Consent.objects.all():
        memberships = Membership.objects.filter(clinic_id=consent.clinic_id).order_by("-start")
        at_start = [
            m for m in memberships if m.start <= consent.start and (m.end is None or consent.start < m.end)
        ]
        chosen = at_start[0] if at_start else memberships.first()
        if chosen is None:
            orphans.append(consent.pk)
            continue
        consent.cluster_id = chosen.cluster_id
        consent.save(update_fields=["cluster"])
    Consent.objects.filter(pk__in=orphans).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="cluster",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consents",
                to="registry.cluster",
            ),
        ),
        migrations.AddField(
            model_name="consent",
            name="revoked",
            field=models.DateField(blank=True, null=True, verbose_name="revoked on"),
        ),
        migrations.RunPython(tie_to_cluster, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="consent",
            name="cluster",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consents",
                to="registry.cluster",
            ),
        ),
        migrations.AddIndex(
            model_name="consent",
            index=models.Index(fields=["cluster", "clinic"], name="quality_con_cluster_9907a5_idx"),
        ),
    ]
