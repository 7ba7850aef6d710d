"""Load the shipped Danish geography and, on PostgreSQL, forbid overlapping periods:
a clinic in two clusters at once, a doctor in two clusters at once, or two holders of
a single-holder role (every role but board member) in one cluster at once."""

from django.db import migrations

from klynge.core.migration_ops import exclusion_no_overlap


def load(apps, schema_editor):
    from klynge.registry.geography import load_geography

    load_geography(apps.get_model("registry", "Region"), apps.get_model("registry", "Municipality"),
                   apps.get_model("registry", "PostalCode"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        exclusion_no_overlap("registry_membership", "membership_one_cluster_at_a_time", ["clinic_id"]),
        exclusion_no_overlap("registry_participation", "participation_one_cluster_at_a_time", ["doctor_id"]),
        exclusion_no_overlap(
            "registry_roleassignment", "role_one_holder_at_a_time", ["cluster_id", "role"],
            where="role <> 'board_member'",
        ),
    ]
