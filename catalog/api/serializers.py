from django.utils.translation import get_language
from rest_framework import serializers

from ..aliases import clean_aliases
from ..models import CatalogueItem, CatalogueVersion, DistrictPolicy, Unit, User
from ..notice import NOTICE_CHARS, PLACEMENT_TOKEN_CHARS
from .fields import FieldsBoundOnce


class UnitSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None, allow_null=True)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "kind", "name", "full_name", "code", "parent", "parent_name", "district", "city"]


class UserSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)
    email = serializers.CharField(read_only=True, help_text="May be empty: not every login has an address.")
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "role_label", "unit"]
        read_only_fields = fields


class DistrictPolicySerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = DistrictPolicy
        fields = [
            "district",
            "district_name",
            "pass_threshold_percent",
            "pass_rate_basis",
            "first_batch_month",
            "second_batch_month",
            "expedited_notice_working_days",
            "intake_close_day",
            "consultation_end_day",
            "committee_day",
            "updated_at",
        ]
        read_only_fields = ["district", "district_name", "updated_at"]

    def validate(self, attrs):
        first = attrs.get("first_batch_month", getattr(self.instance, "first_batch_month", None))
        second = attrs.get("second_batch_month", getattr(self.instance, "second_batch_month", None))
        if first is not None and second is not None and first >= second:
            raise serializers.ValidationError(
                {"second_batch_month": "The second batch month must come after the first (e.g. 1 and 7)."}
            )
        return attrs


class CatalogueVersionSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = CatalogueVersion
        fields = [
            "id",
            "district",
            "district_name",
            "number",
            "state",
            "effective_from",
            "title",
            "note",
            "published_at",
        ]
        read_only_fields = fields


class CatalogueItemSerializer(serializers.ModelSerializer):
    list_label = serializers.CharField(source="get_list_display", read_only=True)
    type_label = serializers.CharField(source="get_type_display", read_only=True)
    basis = serializers.CharField(source="basis_display", read_only=True)
    allowed_months = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=12), required=False)
    # 常见说法: kept as the draft form keeps them (catalog.aliases), normalised and once each
    aliases = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)

    def validate_aliases(self, value):
        return clean_aliases(value)

    class Meta:
        model = CatalogueItem
        fields = ["id", "key", "version", "list_label", "type_label", "basis", *CatalogueItem.CONTENT_FIELDS]
        read_only_fields = ["id", "key", "version"]


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()


class ChangedItemSerializer(serializers.Serializer):
    item = CatalogueItemSerializer()
    changes = FieldChangeSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    old = CatalogueVersionSerializer()
    new = CatalogueVersionSerializer()
    added = CatalogueItemSerializer(many=True)
    removed = CatalogueItemSerializer(many=True)
    changed = ChangedItemSerializer(many=True)


class CheckCandidateSerializer(serializers.Serializer):
    verdict = serializers.CharField()
    verdict_label = serializers.SerializerMethodField()
    reason = serializers.CharField()
    score = serializers.FloatField()
    held_this_year = serializers.IntegerField(allow_null=True)
    item = CatalogueItemSerializer()

    def get_verdict_label(self, candidate) -> str:
        return str(candidate.verdict.label)


class CheckResultSerializer(serializers.Serializer):
    community = UnitSerializer()
    date = serializers.DateField(source="on")
    query = serializers.CharField()
    version = CatalogueVersionSerializer(allow_null=True)
    verdict = serializers.CharField()
    reason = serializers.CharField()
    covered_by = serializers.CharField(allow_null=True)
    covered_until = serializers.DateField(allow_null=True)
    # How sure the match is (0–1), and whether it was too unsure for a verdict (then `verdict` is "uncertain"
    # and `candidates` are what the demand may be).
    confidence = serializers.FloatField()
    hedged = serializers.BooleanField()
    candidates = CheckCandidateSerializer(many=True)


_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def check_result_data(result) -> dict:
    """What CheckResultSerializer gives for a CheckResult, without building its nested serializers for every
    answer (they were half the time of a computed check). tests/catalog/test_check_data.py holds the two equal."""
    version = result.version
    return {
        "community": _unit_data(result.community),
        "date": _DATE.to_representation(result.on),
        "query": str(result.query),
        "version": None if version is None else _version_data(version),
        "verdict": str(result.verdict),
        "reason": str(result.reason),
        "covered_by": None if result.covered_by is None else str(result.covered_by),
        "covered_until": None if result.covered_until is None else _DATE.to_representation(result.covered_until),
        "confidence": float(result.confidence),
        "hedged": bool(result.hedged),
        "candidates": [_candidate_data(c) for c in result.candidates],
    }


def _unit_data(unit) -> dict:
    return {
        "id": unit.pk,
        "kind": unit.kind,
        "name": str(unit.name),
        "full_name": str(unit.full_name),
        "code": str(unit.code),
        "parent": unit.parent_id,
        "parent_name": None if unit.parent is None else str(unit.parent.name),
        "district": unit.district_id,
        "city": unit.city_id,
    }


def _version_data(version) -> dict:
    return {
        "id": version.pk,
        "district": version.district_id,
        "district_name": str(version.district.name),
        "number": version.number,
        "state": version.state,
        "effective_from": _DATE.to_representation(version.effective_from),
        "title": str(version.title),
        "note": str(version.note),
        "published_at": _DATETIME.to_representation(version.published_at),
    }


def _candidate_data(candidate) -> dict:
    return {
        "verdict": str(candidate.verdict),
        "verdict_label": str(candidate.verdict.label),
        "reason": str(candidate.reason),
        "score": float(candidate.score),
        "held_this_year": None if candidate.held_this_year is None else int(candidate.held_this_year),
        "item": _item_data(candidate.item),
    }


def _item_data(item) -> dict:
    """An item as CatalogueItemSerializer gives it, kept on the item per language: the check's candidates are
    the items of a published version's index (catalog.judgement), which never change, and live as long as it."""
    kept = vars(item).setdefault("_check_data", {})
    language = get_language()
    if language not in kept:
        kept[language] = dict(CatalogueItemSerializer(item).data)
    return dict(kept[language])  # its own dict; what it holds is only read


class CheckQuerySerializer(FieldsBoundOnce, serializers.Serializer):
    # An id, looked up only when the answer is not cached (catalog.answers).
    community = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    q = serializers.CharField(required=False, allow_blank=True, max_length=500)
    item = serializers.IntegerField(required=False)
    date = serializers.DateField(required=False)

    def validate(self, attrs):
        if not attrs.get("q") and not attrs.get("item"):
            raise serializers.ValidationError({"q": "Describe the demand in `q`, or give a catalogue `item` id."})
        return attrs


class NoticeSpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="the demand's first character in `text` (0-based)")
    end = serializers.IntegerField(help_text="one past its last character")


class NoticeDemandSerializer(serializers.Serializer):
    """One demand of a notice and the check's answer to it (as `GET /check/` gives it for the same text)."""

    text = serializers.CharField(source="demand.text")
    number = serializers.CharField(source="demand.number", help_text="its number as written (一、 （二）), if any")
    span = serializers.SerializerMethodField()
    verdict = serializers.CharField(source="result.verdict")
    verdict_label = serializers.SerializerMethodField()
    reason = serializers.CharField(source="result.reason")
    confidence = serializers.FloatField(source="result.confidence")
    hedged = serializers.BooleanField(source="result.hedged")
    covered_by = serializers.CharField(source="result.covered_by", allow_null=True)
    covered_until = serializers.DateField(source="result.covered_until", allow_null=True)
    candidates = CheckCandidateSerializer(source="result.candidates", many=True)
    boxes = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=4, max_length=4),
        help_text="where it is on the picture: [x0, y0, x1, y1] of each of its lines, in the picture's pixels "
        "as read (`width` × `height`, after the turn `rotated`); empty for a typed text",
    )
    marks = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4),
        help_text="where it is on the picture as a person sees it (upright by its EXIF orientation, not turned): "
        "[left, top, right, bottom] of each of its lines' parts, as fractions (0–1) of the picture's width and "
        "height; empty for a typed text or for a demand the picture does not show",
    )
    region = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="the one rectangle around its marks, [left, top, right, bottom] as fractions; null if none",
    )

    def get_span(self, judged) -> NoticeSpanSerializer:
        return {"start": judged.demand.start, "end": judged.demand.end}

    def get_verdict_label(self, judged) -> str:
        return str(judged.result.verdict.label)


class NoticeCheckSerializer(serializers.Serializer):
    community = UnitSerializer()
    date = serializers.DateField()
    version = CatalogueVersionSerializer(allow_null=True)
    text = serializers.CharField(help_text="the notice's text, one paragraph a line (as read from the picture)")
    heading = serializers.CharField(allow_blank=True)
    addressee = serializers.CharField(allow_blank=True)
    signature = serializers.CharField(allow_blank=True)
    demands = NoticeDemandSerializer(many=True)
    seconds = serializers.FloatField(help_text="how long reading and judging took")
    width = serializers.IntegerField(help_text="the picture's width as read (0 for a typed text)")
    height = serializers.IntegerField()
    rotated = serializers.IntegerField(help_text="degrees the picture was turned clockwise to read it: 0, 90, 180, 270")
    placement = serializers.CharField(
        source="placement_token",
        allow_blank=True,
        help_text="the read lines' places on the picture, signed: send it back with a corrected `text` to "
        "`/check/notice/` and its demands are marked again; empty for a typed text",
    )


class PhotoCheckRequestSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="a photo or screenshot of the notice: JPEG, PNG or WebP, at most 10 MB")
    community = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    date = serializers.DateField(required=False)


class NoticeTextRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=NOTICE_CHARS, help_text="the notice's text (corrected), one paragraph a line"
    )
    community = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    date = serializers.DateField(required=False)
    placement = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=PLACEMENT_TOKEN_CHARS,
        help_text="`placement` of the photo's answer: the corrected text's demands are marked on the picture",
    )


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An .xlsx or .csv sheet in the import format (an export of the draft).")


class ImportFieldSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    emptied = serializers.BooleanField()


class ImportChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["added", "changed", "unchanged", "missing"])
    list = serializers.CharField()
    title = serializers.CharField()
    row = serializers.IntegerField(help_text="the sheet's row; 0 for a draft item the sheet does not hold")
    key = serializers.CharField(allow_blank=True)
    fields = ImportFieldSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class ImportSerializer(serializers.Serializer):
    """A spreadsheet import: what it would change in the draft (a proposal) or what it changed."""

    id = serializers.IntegerField()
    draft = serializers.IntegerField(source="draft_id")
    state = serializers.CharField()
    filename = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField(), source="fields")
    lists = serializers.ListField(child=serializers.CharField())
    counts = serializers.DictField()
    warnings = serializers.ListField(child=serializers.CharField())
    stale = serializers.BooleanField(help_text="the draft changed since the sheet was read: applying answers 409")
    whole_lists = serializers.ListField(child=serializers.CharField())
    changes = ImportChangeSerializer(many=True)
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class ImportApplySerializer(serializers.Serializer):
    whole_lists = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="lists the sheet holds completely (duties, assistance, withdrawn, assessments): their items "
        "missing from the sheet are removed",
    )
