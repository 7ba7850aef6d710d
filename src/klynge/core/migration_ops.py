"""Migration operations for rules only PostgreSQL can hold (exclusion constraints).

SQLite, the demo database, skips them; services enforce the same rules in Python on
every database, and the PostgreSQL CI run proves the constraint backs them up.
"""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def exclusion_no_overlap(table: str, name: str, columns: list[str], where: str = ""):
    """`EXCLUDE USING gist (col WITH =, ..., daterange(start, end) WITH &&)`."""
    parts = ", ".join(f"{c} WITH =" for c in columns)
    condition = f" WHERE ({where})" if where else ""
    return PostgresOnlySQL(
        sql=[
            "CREATE EXTENSION IF NOT EXISTS btree_gist;",
            f'ALTER TABLE "{table}" ADD CONSTRAINT {name} EXCLUDE USING gist '
            f'({parts}, daterange("start", "end", \'[)\') WITH &&){condition};',
        ],
        reverse_sql=[f'ALTER TABLE "{table}" DROP CONSTRAINT {name};'],
    )
