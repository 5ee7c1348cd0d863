"""Invitations compared by a casefolded key (Unicode-aware on every database); secret-bearing mail flagged."""

from django.db import migrations, models
from django.db.models import Q


def fill_email_keys(apps, schema_editor):
    Invitation = apps.get_model("reviews", "Invitation")
    for invitation in Invitation.objects.only("pk", "email").iterator():
        Invitation.objects.filter(pk=invitation.pk).update(email_key=invitation.email.strip().casefold())


class Migration(migrations.Migration):
    dependencies = [("reviews", "0014_takes")]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="email_key",
            field=models.CharField(db_index=True, default="", max_length=254),
        ),
        migrations.RunPython(fill_email_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="invitation", name="invitation_one_open_per_address"),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                fields=["email_key", "project"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_address_key",
            ),
        ),
        migrations.AddField(
            model_name="outgoingmail", name="secret", field=models.BooleanField(default=False)
        ),
    ]
