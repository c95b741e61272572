"""The supervision API's shapes: burden reports (as each reader may read them), assessments held, inspections,
findings and notices, and the bodies of their writes."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from catalog.limits import REASON_CHARS
from catalog.models import Unit

from ..models import AssessmentHeld, BurdenReport, Finding, Inspection, Notice


class CatalogueReadingSerializer(serializers.Serializer):
    title = serializers.CharField()
    list_label = serializers.CharField()
    rule = serializers.CharField()


class UnitViewSerializer(serializers.Serializer):
    """What the demanding unit reads of a report whose reporter stays anonymous (as on the report's page)."""

    version = serializers.CharField()
    reading = CatalogueReadingSerializer(many=True)
    decision_note = serializers.CharField()


class BurdenReportSerializer(serializers.Serializer):
    """A report as the caller may read it (`audits.selectors.report_as_seen_by`): `community`, `reporter`,
    `check_result` and `evidence` are null where they are hidden from the caller; `unit_view` is the demanding
    unit's reading of an anonymous report (on its detail only)."""

    id = serializers.IntegerField(source="report.pk")
    district = serializers.IntegerField(source="report.district_id")
    demanding_unit = serializers.IntegerField(source="report.demanding_unit_id")
    demanding_unit_name = serializers.CharField(source="report.demanding_unit.name")
    community = serializers.IntegerField(source="community.pk", allow_null=True, default=None)
    community_name = serializers.CharField(source="community.name", allow_null=True, default=None)
    reporter = serializers.CharField(allow_null=True)
    demand = serializers.CharField(help_text="as the caller may read it: to the unit, without the community's name")
    demanded_on = serializers.DateField(source="report.demanded_on")
    state = serializers.ChoiceField(source="report.state", choices=BurdenReport.State.choices)
    state_label = serializers.CharField(source="report.get_state_display")
    check_result = serializers.DictField(allow_null=True)
    question = serializers.CharField(source="report.question")
    triage_note = serializers.CharField()
    explanation = serializers.CharField(source="report.explanation")
    evidence = serializers.SerializerMethodField()
    unit_view = UnitViewSerializer(allow_null=True)
    created_at = serializers.DateTimeField(source="report.created_at")

    def get_evidence(self, reading) -> list[str] | None:
        """The names of the evidence files, where the caller may see who reported (files can identify them)."""
        if not reading.show_reporter or not self.context.get("detail"):
            return None
        return [evidence.name for evidence in reading.report.evidence.all()]


class BurdenReportCreateSerializer(serializers.Serializer):
    demanding_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    demand = serializers.CharField(max_length=REASON_CHARS)
    demanded_on = serializers.DateField()
    reveal_reporter = serializers.BooleanField(default=False)
    evidence = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=10)


class TriageSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["ask", "open", "dismiss"])
    note = serializers.CharField(max_length=REASON_CHARS)
    share_note = serializers.BooleanField(
        default=False, help_text="The unit may read the note of a case or a dismissal (otherwise internal)."
    )


class ExplanationSerializer(serializers.Serializer):
    explanation = serializers.CharField(max_length=REASON_CHARS)


class AssessmentSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    is_finding = serializers.BooleanField(read_only=True)

    class Meta:
        model = AssessmentHeld
        fields = [
            "id",
            "district",
            "community",
            "community_name",
            "unit",
            "unit_name",
            "item_key",
            "title",
            "held_on",
            "on_the_list",
            "within_allowed_months",
            "is_finding",
            "state",
            "dispute_reason",
        ]
        read_only_fields = fields


class AssessmentCreateSerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.communities())
    item = serializers.IntegerField(
        required=False, allow_null=True, help_text="An item of the assessment list in force on that day."
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    held_on = serializers.DateField()

    def validate(self, attrs):
        if attrs.get("item") is None and not attrs.get("title", "").strip():
            raise serializers.ValidationError({"title": _("Name the assessment, or choose it from the list.")})
        return attrs


class DisputeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_CHARS)


class InspectionSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "district", "unit", "unit_name", "title", "planned_on", "done_on", "notes"]
        read_only_fields = ["id", "district", "unit_name", "done_on"]
        extra_kwargs = {"notes": {"max_length": REASON_CHARS}}


class FindingSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    inspection_title = serializers.CharField(source="inspection.title", default=None, allow_null=True, read_only=True)
    burden_report = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "district",
            "unit",
            "unit_name",
            "kind",
            "kind_label",
            "description",
            "state",
            "inspection",
            "inspection_title",
            "burden_report",
            "application",
            "contract",
            "assessment",
            "created_at",
        ]
        read_only_fields = fields

    def get_burden_report(self, finding) -> int | None:
        """The report behind a finding stays the district's: the unit concerned never reads which it was."""
        return None if self.context.get("unit_staff") else finding.burden_report_id


class FindingCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="A department or street office of the caller's district.")
    kind = serializers.ChoiceField(choices=Finding.Kind.choices)
    description = serializers.CharField(max_length=REASON_CHARS)
    inspection = serializers.IntegerField(required=False, allow_null=True)
    burden_report = serializers.IntegerField(required=False, allow_null=True)
    application = serializers.IntegerField(required=False, allow_null=True)
    contract = serializers.IntegerField(required=False, allow_null=True)


class NoticeIssueSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=REASON_CHARS)
    correct_by = serializers.DateField()


class NoticeSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    finding_kind = serializers.ChoiceField(source="finding.kind", choices=Finding.Kind.choices, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "district",
            "district_name",
            "unit",
            "unit_name",
            "finding",
            "finding_kind",
            "title",
            "body",
            "correct_by",
            "state",
            "is_overdue",
            "published_at",
            "answer",
            "answered_at",
            "verification",
            "closed_at",
        ]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=REASON_CHARS)


class VerificationSerializer(serializers.Serializer):
    verification = serializers.CharField(max_length=REASON_CHARS)
