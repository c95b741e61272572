from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.limits import limit_text
from catalog.models import Unit

from .choices import Vote
from .models import Application


class ApplicationForm(forms.ModelForm):
    """申请社区办理事项审批表."""

    class Meta:
        model = Application
        fields = [
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
        ]
        widgets = {
            "reason": forms.Textarea(attrs={"rows": 3}),
            "workload": forms.Textarea(attrs={"rows": 2}),
            "urgency_justification": forms.Textarea(attrs={"rows": 2}),
            # A date box only takes ISO dates, whatever the interface language formats dates as.
            "start_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "end_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "scope_streets": forms.CheckboxSelectMultiple,
            "scope_communities": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, district: Unit, applicant_unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        in_district = Unit.objects.filter(district=district)
        self.fields["scope_streets"].queryset = in_district.streets().order_by("name")
        self.fields["scope_communities"].queryset = (
            in_district.communities().select_related("parent").order_by("parent__name", "name")
        )
        self.fields["scope_communities"].label_from_instance = lambda u: f"{u.parent.name} · {u.name}"
        self.fields["payer"].queryset = in_district.filter(kind__in=["department", "street"]).order_by("kind", "name")
        self.fields["payer"].initial = applicant_unit.pk
        self.fields["regularises"].queryset = Application.objects.filter(
            applicant_unit=applicant_unit, is_urgent=True, state="approved"
        )
        self.fields["regularises"].required = False
        for name in ("reason", "workload", "urgency_justification"):
            limit_text(self.fields[name])


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Opinion or minutes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class VoteForm(forms.Form):
    vote = forms.ChoiceField(label=_("Your opinion"), choices=Vote.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Attach a file"), help_text=_("PDF, PNG, JPEG or office documents, up to 10 MB."))


class EarlyCloseForm(forms.Form):
    """Closing consultation before its deadline while units have not voted is the office's recorded decision."""

    reason = forms.CharField(
        label=_("Why the office closes consultation early"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded on the batch with the units that had not voted."),
    )
