from django.db import migrations


def create_group(apps, schema_editor):
    # Permissions of later apps are granted by shop_staff_group_sync after
    # every migrate; the group itself exists from here on.
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Shop staff")


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Shop staff").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
