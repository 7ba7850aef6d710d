"""A municipality is in one area per layer at a time, held by PostgreSQL: the member row
repeats its area's layer, a composite foreign key keeps the two equal, and an exclusion
constraint forbids overlapping periods in one layer (SQLite: the loaders' rule only)."""

from django.db import migrations, models

from klynge.core.migration_ops import PostgresOnlySQL, exclusion_no_overlap


def copy_layers(apps, schema_editor):
    AreaMember = apps.get_model("registry", "AreaMember")
    Region = apps.get_model("registry", "Region")
    for layer in Region.objects.values_list("layer", flat=True).distinct():
        AreaMember.objects.filter(area__layer=layer).update(layer=layer)


class Migration(migrations.Migration):
    # The layers are copied before the constraints are added; in one transaction
    # PostgreSQL refuses the ALTER TABLE while the copy's deferred checks are pending.
    atomic = False

    dependencies = [("registry", "0007_clinic_accreditation")]

    operations = [
        migrations.AddField(
            model_name="areamember",
            name="layer",
            field=models.CharField(
                choices=[("region", "Region"), ("health_council", "Health council")],
                default="region",
                max_length=20,
                verbose_name="layer",
            ),
        ),
        migrations.RunPython(copy_layers, migrations.RunPython.noop),
        PostgresOnlySQL(
            sql=[
                'ALTER TABLE "registry_region" ADD CONSTRAINT region_code_layer_key '
                'UNIQUE ("code", "layer");',
                'ALTER TABLE "registry_areamember" ADD CONSTRAINT area_member_layer_is_the_areas '
                'FOREIGN KEY ("area_id", "layer") REFERENCES "registry_region" ("code", "layer") '
                "DEFERRABLE INITIALLY DEFERRED;",
            ],
            reverse_sql=[
                'ALTER TABLE "registry_areamember" DROP CONSTRAINT area_member_layer_is_the_areas;',
                'ALTER TABLE "registry_region" DROP CONSTRAINT region_code_layer_key;',
            ],
        ),
        exclusion_no_overlap(
            "registry_areamember", "area_member_one_area_per_layer", ["municipality_id", "layer"]
        ),
    ]
