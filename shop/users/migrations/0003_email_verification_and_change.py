from django.db import migrations, models
from django.db.models.functions import Now


def mark_existing_accounts_verified(apps, schema_editor):
    # Accounts made before verification existed were accepted under the old
    # rules; turning REQUIRE_VERIFIED_EMAIL on must not stop them ordering.
    User = apps.get_model("users", "User")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_shop_staff_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="email verified at"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email",
            field=models.EmailField(
                blank=True,
                default="",
                max_length=254,
                verbose_name="pending email address",
            ),
        ),
        migrations.RunPython(
            mark_existing_accounts_verified, migrations.RunPython.noop, elidable=True
        ),
    ]
