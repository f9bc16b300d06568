"""Scratch catchers: a test URL for a function not created yet, its creator's until it
expires or the function Configure creates adopts it. A catcher now names its workspace
(filled in from its function) and a capture its catcher."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_in_workspaces_and_catchers(apps, schema_editor):
    Catcher = apps.get_model("ingest", "Catcher")
    Capture = apps.get_model("ingest", "Capture")
    for catcher in Catcher.objects.select_related("function").iterator():
        catcher.workspace_id = catcher.function.workspace_id
        catcher.save(update_fields=["workspace"])
        Capture.objects.filter(function_id=catcher.function_id).update(catcher=catcher)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_function_methods_and_responds"),
        ("ingest", "0006_forget_stored_product_credentials"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="catcher",
            name="workspace",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.workspace",
            ),
        ),
        migrations.AddField(
            model_name="catcher",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="catcher",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="catcher",
            name="function",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="catcher",
                to="catalog.function",
            ),
        ),
        migrations.AddField(
            model_name="capture",
            name="catcher",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="captures",
                to="ingest.catcher",
            ),
        ),
        migrations.AlterField(
            model_name="capture",
            name="function",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="captures",
                to="catalog.function",
            ),
        ),
        migrations.RunPython(fill_in_workspaces_and_catchers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="catcher",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.workspace",
            ),
        ),
        migrations.AddConstraint(
            model_name="catcher",
            constraint=models.CheckConstraint(
                condition=models.Q(("function__isnull", False))
                | models.Q(("created_by__isnull", False), ("expires_at__isnull", False)),
                name="catcher_of_a_function_or_scratch",
            ),
        ),
        migrations.AddIndex(
            model_name="catcher",
            index=models.Index(fields=["expires_at"], name="catcher_expiry_idx"),
        ),
        migrations.AddIndex(
            model_name="capture",
            index=models.Index(fields=["catcher", "-received_at"], name="capture_catcher_idx"),
        ),
    ]
