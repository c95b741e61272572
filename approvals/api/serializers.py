from rest_framework import serializers

from catalog.limits import REASON_CHARS
from catalog.models import Unit

from ..choices import Stage
from ..models import Application, ApplicationEvent, Ballot, Batch


class BatchSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "district",
            "district_name",
            "year",
            "month",
            "intake_closes",
            "consultation_ends",
            "committee_meets",
            "state",
            "pass_threshold_percent",
            "pass_rate_basis",
            "consultation_opened_at",
            "closed_early_reason",
            "closed_early_not_voted",
        ]
        read_only_fields = fields


class ApplicationEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = ApplicationEvent
        fields = ["action", "from_state", "to_state", "actor", "at", "note"]


class ApplicationSerializer(serializers.ModelSerializer):
    """What the applicant may write; everything the office decides is read-only here."""

    applicant_unit_name = serializers.CharField(source="applicant_unit.name", read_only=True)
    scope_streets = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=Unit.objects.streets())
    scope_communities = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Unit.objects.communities()
    )
    payer = serializers.PrimaryKeyRelatedField(required=False, allow_null=True, queryset=Unit.objects.all())
    # Blank until an application is refused: the schema must allow "" as well as the stages.
    rejected_at_stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "district",
            "applicant_unit",
            "applicant_unit_name",
            "title",
            "reason",
            "basis_document",
            "basis_number",
            "basis_article",
            "requested_list",
            "item_type",
            "scope",
            "scope_streets",
            "scope_communities",
            "workload",
            "start_date",
            "end_date",
            "payer",
            "amount_per_community",
            "issuing_level",
            "max_per_year",
            "is_urgent",
            "urgency_justification",
            "regularises",
            "state",
            "batch",
            "submitted_at",
            "consulted_count",
            "votes_cast",
            "agree_count",
            "pass_rate",
            "pass_rule",
            "office_opinion",
            "decision_minutes",
            "decided_by",
            "decided_at",
            "rejected_at_stage",
            "lapses_on",
            "catalogue_item_key",
        ]
        # catalog.limits: as long as the form takes
        extra_kwargs = {name: {"max_length": REASON_CHARS} for name in ("reason", "workload", "urgency_justification")}
        read_only_fields = [
            "id",
            "district",
            "applicant_unit",
            "state",
            "batch",
            "submitted_at",
            "consulted_count",
            "votes_cast",
            "agree_count",
            "pass_rate",
            "pass_rule",
            "office_opinion",
            "decision_minutes",
            "decided_by",
            "decided_at",
            "rejected_at_stage",
            "lapses_on",
            "catalogue_item_key",
        ]


class ApplicationDetailSerializer(ApplicationSerializer):
    events = ApplicationEventSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "events"]


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class EarlyCloseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed only to tally before the deadline while units have not voted: the office's recorded reason.",
    )


class DecisionSerializer(TextSerializer):
    approve = serializers.BooleanField()


class FilingSerializer(serializers.Serializer):
    warnings = serializers.ListField(child=serializers.CharField())
    earliest_start = serializers.DateField(allow_null=True)
    application = ApplicationSerializer()


class BallotSerializer(serializers.ModelSerializer):
    application_title = serializers.CharField(source="application.title", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Ballot
        fields = [
            "id",
            "application",
            "application_title",
            "unit",
            "unit_name",
            "deadline",
            "vote",
            "comment",
            "voted_at",
        ]
        read_only_fields = ["id", "application", "application_title", "unit", "unit_name", "deadline", "voted_at"]


class VoteSerializer(serializers.Serializer):
    vote = serializers.ChoiceField(choices=["agree", "disagree"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")
