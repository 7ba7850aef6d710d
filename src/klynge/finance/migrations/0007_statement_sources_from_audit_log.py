"""Bank-import provenance moves from the audit log to `StatementImport`: one row per
earlier `finance.statement.imported` entry, its bookings pointed at it."""

from django.db import migrations


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    StatementImport = apps.get_model("finance", "StatementImport")
    Transaction = apps.get_model("finance", "Transaction")
    for entry in AuditEntry.objects.filter(action="finance.statement.imported").order_by("at", "id"):
        data = entry.data or {}
        scope = entry.scope or ""
        if not scope.startswith("cluster:"):
            continue
        source = StatementImport.objects.create(
            cluster_id=int(scope.split(":", 1)[1]),
            sha256=data.get("sha256", ""),
            imported_by_id=entry.actor_id,
            bank_account=data.get("bank_account", ""),
            first_date=data.get("from") or None,
            last_date=data.get("to") or None,
            lines=data.get("lines", 0),
            booked=data.get("booked", 0),
            skipped=data.get("skipped", 0),
            matched=data.get("matched", 0),
        )
        StatementImport.objects.filter(pk=source.pk).update(imported=entry.at)
        Transaction.objects.filter(pk__in=data.get("transactions", [])).update(source=source)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("finance", "0006_payout_reversal_statement_source_closure"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
