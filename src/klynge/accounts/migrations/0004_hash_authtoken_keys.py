"""Move keys from DRF's `authtoken` (stored in clear) into `ApiToken` (stored hashed),
then drop the clear-text table, so no readable key is left in the database.

Existing keys keep working: the same key, hashed, is found by the new authentication.
On a database that never had `authtoken` this does nothing.
"""

import datetime as dt
import hashlib

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

TABLE = "authtoken_token"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    quoted = schema_editor.quote_name(TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {quoted}")  # noqa: S608
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken.objects.create(
            user_id=user_id,
            name="authtoken",
            prefix=key[:8],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
        )
        if isinstance(created, str):  # SQLite hands back text
            created = parse_datetime(created)
        if created is not None:
            if timezone.is_naive(created):  # stored in UTC
                created = timezone.make_aware(created, dt.timezone.utc)
            ApiToken.objects.filter(pk=token.pk).update(created=created)
    schema_editor.execute(f"DROP TABLE {quoted}")
    # `rest_framework.authtoken` is no longer installed: forget its migrations too.
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_token")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
