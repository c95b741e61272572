"""The check's API answer is built by a plain function (catalog.api.serializers.check_result_data), not by the
nested serializers, for speed: it must give what CheckResultSerializer (the schema's) gives, byte for byte."""

import re
from dataclasses import replace
from datetime import date

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from catalog import check, selectors
from catalog.api.serializers import CheckQuerySerializer, CheckResultSerializer, check_result_data
from catalog.choices import Verdict
from catalog.models import Unit

pytestmark = pytest.mark.django_db

ON = date(2026, 11, 2)


@pytest.fixture
def words(world):
    jinjiang = world.unit("锦江区")
    version = selectors.version_in_force(district_id=jinjiang.pk, on=ON)
    found = set()
    for item in version.items.all():
        found.update(w for w in re.split(r"[，。、；：\s（）()]+", f"{item.title} {item.description}") if w)
    communities = list(Unit.objects.communities().select_related("parent__parent__parent").order_by("pk")[:6])
    return sorted(found), communities


def _same(result):
    plain, drf = check_result_data(result), CheckResultSerializer(result).data
    assert plain == drf
    assert JSONRenderer().render(plain) == JSONRenderer().render(drf)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_plain_answer_is_the_serializers(words, data):
    vocabulary, communities = words
    text = "".join(data.draw(st.lists(st.sampled_from([*vocabulary, "请", "社区", "42"]), min_size=1, max_size=5)))
    community = data.draw(st.sampled_from(communities))
    on = data.draw(st.sampled_from([ON, date(2016, 1, 1), date(2030, 7, 1)]))
    language = data.draw(st.sampled_from(["zh-hans", "en"]))
    with translation.override(language):
        result = check.check_demand(community=community, on=on, q=text)
        _same(result)
        _same(result)  # the second time from the items' kept answers


def test_every_field_that_can_be_empty_or_not(world):
    community = Unit.objects.communities().select_related("parent__parent__parent").get(name="牛沙路社区")
    result = check.check_demand(community=community, on=ON, q="协税护税")
    assert result.candidates
    held = replace(result.candidates[0], held_this_year=3, verdict=Verdict.ASSESSMENT_ALLOWED)
    covered = replace(
        result, covered_by="#12 紧急防汛排查", covered_until=date(2026, 12, 1), hedged=True, candidates=[held]
    )
    for variant in [result, covered, replace(result, version=None, candidates=[]), replace(result, confidence=1)]:
        _same(variant)
    city = Unit.objects.filter(parent=None).first()  # a unit without a parent
    _same(replace(result, community=city))


class _BoundEveryTime(CheckQuerySerializer):
    @property
    def fields(self):  # DRF's own: built and bound for this instance
        from rest_framework import serializers

        return serializers.Serializer.fields.func(self)


_param = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    st.sampled_from(["", " ", "2026-11-02", "2026-02-30", "1.5", "0", "2147483648", "１２", "协税护税"]),
    st.text(min_size=495, max_size=510),
)


@settings(max_examples=200, deadline=None)
@given(
    params=st.lists(st.tuples(st.sampled_from(["community", "q", "item", "date", "other"]), _param), max_size=6),
    language=st.sampled_from(["zh-hans", "en"]),
)
def test_the_checks_parameters_are_read_the_same_by_fields_bound_once_as_by_fields_bound_every_time(params, language):
    """CheckQuerySerializer's fields are bound once per class (catalog.api.fields.FieldsBoundOnce): for any query
    string (a parameter repeated, missing, too long, not a number), in either language, the same errors (words and
    codes) or the same values as DRF binding them for each request, asked twice."""
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for name, value in params:
        query.appendlist(name, value)

    def read(serializer_class):
        serializer = serializer_class(data=query)
        valid = serializer.is_valid()
        if valid:
            return repr(serializer.fields), True, dict(serializer.validated_data)
        return (
            repr(serializer.fields),
            False,
            serializer.errors,
            {k: [e.code for e in v] for k, v in serializer.errors.items()},
        )

    with translation.override(language):
        assert read(CheckQuerySerializer) == read(_BoundEveryTime) == read(CheckQuerySerializer)
