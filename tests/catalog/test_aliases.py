"""An item's 常见说法: kept in the draft form and the sheet, normalised and once each, published and copied on."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import io as catalogue_io
from catalog import selectors, services
from catalog.aliases import MAX_ALIAS_LENGTH, MAX_ALIASES, clean_aliases, split_aliases
from catalog.forms import CatalogueItemForm
from catalog.text import comparison_key, normalise


@given(st.lists(st.text(max_size=20), max_size=12))
@settings(max_examples=60, deadline=None)
def test_wordings_are_normalised_kept_once_and_in_order(values):
    kept = clean_aliases(values)
    assert all(w == normalise(w) and w for w in kept)
    keys = [comparison_key(w) for w in kept]
    assert len(keys) == len(set(keys))
    assert clean_aliases(kept) == kept  # idempotent
    expected = {comparison_key(normalise(v)) for v in values if normalise(v)}
    assert set(keys) == expected


def test_a_textarea_or_a_cell_separates_wordings_by_lines_or_enumeration_commas():
    assert clean_aliases(split_aliases("催缴税费\n代征税款、 代征税款 ；税源排查\r\n\n")) == [
        "催缴税费",
        "代征税款",
        "税源排查",
    ]
    assert clean_aliases(["協稅護稅", "协税护税"]) == ["协税护税"]  # the same once normalised


def test_a_wording_too_long_or_too_many_says_what_is_allowed():
    with pytest.raises(ValidationError, match=str(MAX_ALIAS_LENGTH)):
        clean_aliases(["讲" * (MAX_ALIAS_LENGTH + 1)])
    with pytest.raises(ValidationError, match=str(MAX_ALIASES)):
        clean_aliases([f"说法{n}" for n in range(MAX_ALIASES + 1)])


@pytest.fixture
def jinjiang(world):
    return world.unit("锦江区")


@pytest.mark.django_db
def test_the_draft_item_form_keeps_aliases_one_per_line(client, world, jinjiang):
    staff = world.user("minzheng")
    draft = services.draft_start(district=jinjiang, actor=staff)
    item = draft.items.get(code="TC-02")
    client.force_login(staff)
    url = f"/catalogue/{jinjiang.pk}/draft/items/{item.pk}/"
    page = client.get(url).content.decode()
    assert "代征税款\n催缴税费" in page  # shown one per line
    data = {k: v for k, v in CatalogueItemForm(instance=item).initial.items() if v is not None}
    data["allowed_months"] = []
    data["aliases"] = "催缴欠缴税费\n代征税款\n 代征税款 \n"
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.aliases == ["催缴欠缴税费", "代征税款"]
    data["aliases"] = "讲" * (MAX_ALIAS_LENGTH + 1)
    response = client.post(url, data)
    assert response.status_code == 200 and str(MAX_ALIAS_LENGTH) in response.content.decode()
    item.refresh_from_db()
    assert item.aliases == ["催缴欠缴税费", "代征税款"]  # nothing half-saved


@pytest.mark.django_db
def test_aliases_are_published_with_the_version_shown_on_the_item_and_copied_into_the_next_draft(
    client, world, jinjiang
):
    staff = world.user("minzheng")
    draft = services.draft_start(district=jinjiang, actor=staff)
    item = draft.items.get(code="TC-02")
    services.item_save(draft=draft, actor=staff, item=item, aliases=["帮税务局催欠税"])
    version = services.version_publish(draft=draft, actor=staff, effective_from=date(2027, 1, 1))
    published = version.items.get(key=item.key)
    assert published.aliases == ["帮税务局催欠税"]
    page = client.get(f"/catalogue/{jinjiang.pk}/items/{published.pk}/").content.decode()
    assert "帮税务局催欠税" in page
    again = services.draft_start(district=jinjiang, actor=staff)
    assert again.items.get(key=item.key).aliases == ["帮税务局催欠税"]


@pytest.mark.django_db
def test_the_sheet_has_a_common_wordings_column_that_reads_back(client, world, jinjiang):
    from catalog.imports import import_apply, import_propose

    staff = world.user("minzheng")
    version = selectors.version_in_force(district_id=jinjiang.pk, on=date.max)
    content = client.get(f"/catalogue/{jinjiang.pk}/export.csv").getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    header = next(row for row in rows if "常见说法" in row)  # below the row that says what the file holds
    first = rows[rows.index(header) + 1]
    assert first[header.index("常见说法")] == "居民大会、居民议事会"  # 召开居民会议和居民代表会议
    draft = services.draft_start(district=jinjiang, actor=staff)
    upload = io.BytesIO(
        "清单,类型,事项名称,退出理由,应由何处承担,常见说法\n"
        '退出,工作事项,协税护税,税收征管是税务机关的法定职责,区税务局,"代征税款、催缴税费\n税源排查"\n'.encode()
    )
    import_apply(record=import_propose(draft=draft, actor=staff, upload=upload, filename="退出.csv"), actor=staff)
    assert draft.items.get(title="协税护税").aliases == ["代征税款", "催缴税费", "税源排查"]
    too_long = io.BytesIO(f"清单,类型,事项名称,常见说法\n履职,工作事项,调解民间纠纷,{'讲' * 101}\n".encode())
    with pytest.raises(catalogue_io.ImportRejected) as excinfo:
        import_propose(draft=draft, actor=staff, upload=too_long, filename="履职.csv")
    assert {(e.row, e.column) for e in excinfo.value.errors} == {(2, "常见说法")}
    assert version.items.count() == selectors.version_in_force(district_id=jinjiang.pk, on=date.max).items.count()


@pytest.mark.django_db
def test_the_api_keeps_aliases_as_the_draft_form_does(api_client, world, jinjiang):
    staff = world.user("minzheng")
    draft = services.draft_start(district=jinjiang, actor=staff)
    item = draft.items.get(code="TC-02")
    api_client.force_authenticate(staff)
    url = f"/api/v1/items/{item.pk}/"
    response = api_client.patch(url, {"aliases": [" 代征税款 ", "代征税款", "催缴税费"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["aliases"] == ["代征税款", "催缴税费"]
    response = api_client.patch(url, {"aliases": ["讲" * (MAX_ALIAS_LENGTH + 1)]}, format="json")
    assert response.status_code == 400 and str(MAX_ALIAS_LENGTH) in str(response.json()["aliases"])
    item.refresh_from_db()
    assert item.aliases == ["代征税款", "催缴税费"]
