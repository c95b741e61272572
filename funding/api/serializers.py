from decimal import Decimal

from rest_framework import serializers

from catalog.api.fields import FieldsBuiltOnce, InScopeIdField
from catalog.models import CatalogueItem, Unit

from ..models import Contract, ContractAmendment, Instalment, Payment


class InstalmentSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Instalment
        fields = ["id", "community", "community_name", "sequence", "due_on", "amount", "paid", "outstanding"]
        read_only_fields = fields


class AmendmentSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", read_only=True)

    class Meta:
        model = ContractAmendment
        fields = ["changes", "reason", "changed_by", "changed_at"]


class ContractSerializer(serializers.ModelSerializer):
    payer_name = serializers.CharField(source="payer.name", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "district",
            "payer",
            "payer_name",
            "number",
            "item_key",
            "item_title",
            "application",
            "communities",
            "amount_per_community",
            "starts_on",
            "ends_on",
            "state",
            "signed_at",
            "termination_reason",
        ]
        read_only_fields = fields


class ContractDetailSerializer(ContractSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "instalments", "amendments"]


class ScheduleRowSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    share = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.01"))


class ContractCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=50)
    item = serializers.PrimaryKeyRelatedField(queryset=CatalogueItem.objects.all(), required=False, allow_null=True)
    communities = serializers.PrimaryKeyRelatedField(many=True, queryset=Unit.objects.communities())
    amount_per_community = serializers.DecimalField(max_digits=14, decimal_places=2)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    schedule = ScheduleRowSerializer(many=True)


class AmendSerializer(serializers.Serializer):
    reason = serializers.CharField()
    amount_per_community = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    ends_on = serializers.DateField(required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class SignSerializer(serializers.Serializer):
    document = serializers.FileField()


class PaymentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    community_name = serializers.CharField(source="instalment.community.name", read_only=True)
    contract = serializers.IntegerField(source="instalment.contract_id", read_only=True)
    # Looked up in the caller's scope by the payment's own locking read (services.payment_record); an id that
    # names nothing, or a value that is not an id, answers the same 404 as one out of scope.
    instalment = InScopeIdField(source="instalment_id")

    class Meta:
        model = Payment
        fields = [
            "id",
            "instalment",
            "contract",
            "community_name",
            "paid_on",
            "amount",
            "voucher",
            "reverses",
            "note",
            "recorded_at",
        ]
        read_only_fields = ["id", "contract", "community_name", "reverses", "recorded_at"]


class ReverseSerializer(serializers.Serializer):
    voucher = serializers.CharField(max_length=50)
    reason = serializers.CharField(max_length=300)


class ObligationSerializer(serializers.Serializer):
    district = serializers.CharField(source="district.name")
    community_id = serializers.IntegerField(source="community.pk")
    community = serializers.CharField(source="community.name")
    item_key = serializers.UUIDField(source="item.key")
    item = serializers.CharField(source="item.title")
    delegating_unit = serializers.CharField(source="item.delegating_unit")
    standard_funding = serializers.DecimalField(source="item.standard_funding", max_digits=14, decimal_places=2)


MONEY_OUT = {"max_digits": 16, "decimal_places": 2}


class FiguresSerializer(serializers.Serializer):
    due = serializers.DecimalField(**MONEY_OUT, help_text="应付: instalments falling due in the period (by due date).")
    paid = serializers.DecimalField(
        **MONEY_OUT, help_text="已付: payments made in the period (by payment date), reversals negative."
    )
    settled = serializers.DecimalField(
        **MONEY_OUT, help_text="Paid by `as_of` towards the instalments due in the period, whenever paid."
    )
    outstanding = serializers.DecimalField(**MONEY_OUT, help_text="未付 on `as_of`: due − settled.")
    overdue = serializers.DecimalField(
        **MONEY_OUT, help_text="逾期 on `as_of`: the unpaid part of the instalments due before `as_of`."
    )


class ReportRowSerializer(FiguresSerializer):
    group = serializers.CharField(allow_null=True)


class ReportMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The first day of the month.")
    due = serializers.DecimalField(**MONEY_OUT, help_text="Falling due in this month.")
    paid = serializers.DecimalField(**MONEY_OUT, help_text="Paid in this month.")


class ReportSerializer(serializers.Serializer):
    """selectors.FundingFigures: the figures the page, the chart, the PDF and the exports show for the filter."""

    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateField(help_text="The position's date: the period's end, or today while it runs.")
    group = serializers.ChoiceField(choices=["payer", "community", "item"])
    basis = serializers.ListField(child=serializers.CharField(), help_text="What each figure counts.")
    rows = ReportRowSerializer(many=True)
    totals = FiguresSerializer()
    months = ReportMonthSerializer(many=True)
