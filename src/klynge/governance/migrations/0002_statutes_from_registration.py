"""The statutes get one home: a document uploaded at registration
(`registry.Cluster.statutes`, removed by the registry's next migration) becomes the file
of the version adopted at the founding general assembly, created when there is none."""

from django.db import migrations


def forwards(apps, schema_editor):
    Cluster = apps.get_model("registry", "Cluster")
    Statutes = apps.get_model("governance", "Statutes")
    for cluster in Cluster.objects.exclude(statutes="").iterator():
        if Statutes.objects.filter(cluster=cluster, file=cluster.statutes.name).exists():
            continue
        version = Statutes.objects.filter(cluster=cluster, adopted=cluster.founded).first()
        if version is None:
            Statutes.objects.create(cluster=cluster, adopted=cluster.founded, file=cluster.statutes)
        elif not version.file:  # a version with another document keeps its own
            version.file = cluster.statutes
            version.save(update_fields=["file"])


def backwards(apps, schema_editor):
    Cluster = apps.get_model("registry", "Cluster")
    Statutes = apps.get_model("governance", "Statutes")
    for version in Statutes.objects.exclude(file="").order_by("cluster_id", "adopted", "id"):
        Cluster.objects.filter(pk=version.cluster_id, statutes="").update(statutes=version.file)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("registry", "0005_former_slugs"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
