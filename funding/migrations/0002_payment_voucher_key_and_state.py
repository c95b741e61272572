"""Vouchers are compared in one normalised form (catalog.text.comparison_key), kept in their own column that
carries the one-voucher-per-payer constraint; the voucher stays as typed. A payment has a state (recorded,
reversed, counter-entry) so its reversal goes through the transition table like every other state change."""

from django.db import migrations, models


def fill_voucher_keys(apps, schema_editor):
    from catalog.text import comparison_key

    Payment = apps.get_model("funding", "Payment")
    seen: set[tuple[int, str]] = set()
    batch = []
    for payment in Payment.objects.order_by("pk").only("pk", "payer_id", "voucher").iterator(chunk_size=2000):
        key = comparison_key(payment.voucher)[:200]
        if (payment.payer_id, key) in seen:
            # Recorded before vouchers were compared normalised ("V-100" and "ｖ－１００"): the later entry keeps a
            # key of its own so the constraint can hold; every variant of the voucher now finds the first one.
            key = f"{key[:180]}#dup-{payment.pk}"
        seen.add((payment.payer_id, key))
        payment.voucher_key = key
        batch.append(payment)
        if len(batch) >= 2000:
            Payment.objects.bulk_update(batch, ["voucher_key"])
            batch = []
    Payment.objects.bulk_update(batch, ["voucher_key"])


def fill_payment_states(apps, schema_editor):
    Payment = apps.get_model("funding", "Payment")
    Payment.objects.filter(reverses__isnull=False).update(state="reversal")
    Payment.objects.filter(reversed_by__isnull=False).update(state="reversed")


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(model_name="payment", name="payment_voucher_once_per_payer"),
        migrations.AddField(
            model_name="payment",
            name="voucher_key",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200, verbose_name="voucher (as compared)"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_voucher_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(fields=("payer", "voucher_key"), name="payment_voucher_once_per_payer"),
        ),
        migrations.AddField(
            model_name="payment",
            name="state",
            field=models.CharField(
                choices=[("recorded", "Recorded"), ("reversed", "Reversed"), ("reversal", "Counter-entry")],
                default="recorded",
                max_length=16,
                verbose_name="state",
            ),
        ),
        migrations.RunPython(fill_payment_states, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("reverses__isnull", True), ("state__in", ["recorded", "reversed"])),
                    models.Q(("reverses__isnull", False), ("state", "reversal")),
                    _connector="OR",
                ),
                name="payment_state_matches_entry",
            ),
        ),
    ]
