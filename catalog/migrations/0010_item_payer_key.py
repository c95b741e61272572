"""Each catalogue item keeps the key of the unit its delegating department names (谁委托谁出钱), so that funding
and supervision join on ids instead of names. Existing items are resolved as publication resolves them
(catalog.services.items_resolve_payers): a name the district has no unit of stays without a key."""

import django.db.models.deletion
from django.db import migrations, models

from catalog.text import comparison_key


def resolve_payers(apps, schema_editor):
    Unit = apps.get_model("catalog", "Unit")
    CatalogueItem = apps.get_model("catalog", "CatalogueItem")
    keys: dict[tuple[int, str], int] = {}
    units = Unit.objects.filter(kind__in=["department", "street"]).order_by("kind", "name")
    for pk, district_id, name in units.values_list("pk", "district_id", "name"):
        keys.setdefault((district_id, comparison_key(name)), pk)
        keys.setdefault((district_id, comparison_key(name.removeprefix("区"))), pk)
    items = list(
        CatalogueItem.objects.exclude(delegating_unit="").only("pk", "delegating_unit", "version__district_id")
        .select_related("version")
    )
    for item in items:
        name, district_id = comparison_key(item.delegating_unit), item.version.district_id
        item.payer_id = keys.get((district_id, name)) or keys.get((district_id, name.removeprefix("区")))
    CatalogueItem.objects.bulk_update([item for item in items if item.payer_id], ["payer"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_verdicts_uncertain_and_urgent"),
    ]

    operations = [
        migrations.AddField(
            model_name="catalogueitem",
            name="payer",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.unit",
                verbose_name="delegating unit",
            ),
        ),
        migrations.RunPython(resolve_payers, migrations.RunPython.noop),
    ]
