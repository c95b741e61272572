from rest_framework import serializers

from ..models import DistrictPolicy, Unit, User


class UnitSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "kind", "name", "full_name", "code", "parent", "parent_name", "district", "city"]


class UserSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)
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
