from django import forms

from .models import DistrictPolicy


class DistrictPolicyForm(forms.ModelForm):
    class Meta:
        model = DistrictPolicy
        fields = [
            "pass_threshold_percent",
            "pass_rate_basis",
            "first_batch_month",
            "second_batch_month",
            "expedited_notice_working_days",
        ]
