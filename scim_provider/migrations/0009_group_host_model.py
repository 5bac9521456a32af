"""A group link records which host model its ``host_group_id`` is a key of.

Before it, a key written under one ``GROUP_MODEL`` was read as a key of whatever model the
setting named later: after a change of ``GROUP_MODEL``, a group could rename or fill an
unrelated row of the new model (another tenant's team). Existing links with a host group
are backfilled with the ``GROUP_MODEL`` in force when the migration runs, the model that
wrote them unless the setting was changed before migrating (then they get a new host group
on their next write, as links of another model do).
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    from scim_provider.conf import scim_settings

    label = scim_settings.GROUP_MODEL
    if not label:
        return  # no mirror: keys left unattributed are never read
    ScimGroup = apps.get_model("scim_provider", "ScimGroup")
    ScimGroup.objects.exclude(host_group_id="").update(host_group_model=label.lower())


class Migration(migrations.Migration):
    dependencies = [
        ("scim_provider", "0008_multivalued_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="scimgroup",
            name="host_group_model",
            field=models.CharField(
                blank=True, default="", max_length=100, verbose_name="host group model"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
