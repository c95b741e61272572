from rest_framework import serializers

from catalog.limits import REASON_CHARS
from catalog.models import Unit

from .. import selectors
from ..choices import ApplicationState, RequestedList, Scope, Stage
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


_DATETIME = serializers.DateTimeField()  # the full representation's: in the current time zone, ISO 8601


def _date(value):
    return None if value is None else value.isoformat()  # as DateField writes it (ISO 8601, the default)


class ApplicationBriefSerializer(serializers.Serializer):
    """The brief representation (`?brief=1`): what a reviewer's queue shows. Every field it shares with the full
    representation (Application) has the same value; the scope's unit ids are in ascending order."""

    # The fields are the schema. A row is written straight from the values of one query
    # (selectors.application_briefs), without building a field per row or per request.

    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=ApplicationState.choices)
    state_display = serializers.CharField(help_text="The state in words, in the request's language.")
    is_urgent = serializers.BooleanField()
    district = serializers.IntegerField()
    district_name = serializers.CharField()
    applicant_unit = serializers.IntegerField()
    applicant_unit_name = serializers.CharField()
    requested_list = serializers.ChoiceField(choices=RequestedList.choices)
    requested_list_display = serializers.CharField()
    scope = serializers.ChoiceField(choices=Scope.choices)
    scope_display = serializers.CharField()
    scope_streets = serializers.ListField(child=serializers.IntegerField(), help_text="Street ids, ascending.")
    scope_communities = serializers.ListField(child=serializers.IntegerField(), help_text="Community ids, ascending.")
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    lapses_on = serializers.DateField(allow_null=True)
    batch = serializers.IntegerField(allow_null=True)
    batch_consultation_ends = serializers.DateField(allow_null=True, help_text="The batch's consultation deadline.")
    batch_committee_meets = serializers.DateField(allow_null=True, help_text="When the batch's committee meets.")

    def to_representation(self, row):
        row = selectors.brief_row(row)
        return {
            "id": row["id"],
            "title": row["title"],
            "state": row["state"],
            "state_display": row["state_display"],
            "is_urgent": row["is_urgent"],
            "district": row["district"],
            "district_name": row["district_name"],
            "applicant_unit": row["applicant_unit"],
            "applicant_unit_name": row["applicant_unit_name"],
            "requested_list": row["requested_list"],
            "requested_list_display": row["requested_list_display"],
            "scope": row["scope"],
            "scope_display": row["scope_display"],
            "scope_streets": row["scope_street_ids"],
            "scope_communities": row["scope_community_ids"],
            "start_date": _date(row["start_date"]),
            "end_date": _date(row["end_date"]),
            "submitted_at": None if row["submitted_at"] is None else _DATETIME.to_representation(row["submitted_at"]),
            "lapses_on": _date(row["lapses_on"]),
            "batch": row["batch"],
            "batch_consultation_ends": _date(row["batch_consultation_ends"]),
            "batch_committee_meets": _date(row["batch_committee_meets"]),
        }


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
