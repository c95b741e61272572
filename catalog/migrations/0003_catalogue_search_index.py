from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = GinIndex(SearchVector("search_tokens", config="simple"), name="catalogue_item_search")


def create_index(apps, schema_editor):
    # Full-text search over the jieba-segmented tokens; PostgreSQL only (SQLite ranks in Python).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("catalog", "CatalogueItem"), INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("catalog", "CatalogueItem"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_catalogue")]
    operations = [migrations.RunPython(create_index, drop_index)]
