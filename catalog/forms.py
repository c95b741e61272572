from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CatalogueItem, DistrictPolicy

MONTHS = [(m, _("Month %(m)s") % {"m": m}) for m in range(1, 13)]


class DistrictPolicyForm(forms.ModelForm):
    class Meta:
        model = DistrictPolicy
        fields = [
            "pass_threshold_percent",
            "pass_rate_basis",
            "first_batch_month",
            "second_batch_month",
            "expedited_notice_working_days",
            "intake_close_day",
            "consultation_end_day",
            "committee_day",
        ]


class CatalogueItemForm(forms.ModelForm):
    allowed_months = forms.TypedMultipleChoiceField(
        label=_("months allowed"), choices=MONTHS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = CatalogueItem
        fields = CatalogueItem.CONTENT_FIELDS  # what staff edit is what versions compare
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "withdrawal_reason": forms.Textarea(attrs={"rows": 2}),
        }


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("in force from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("XLSX or CSV file"),
        help_text=_(
            "An export of this draft, the template, or the district's own sheet (a title row above the header is fine)."
        ),
    )


class CheckForm(forms.Form):
    q = forms.CharField(
        label=_("What were you asked to do?"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. 街道让我们帮忙统计辖区企业")}),
    )
    date = forms.DateField(
        label=_("On"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
