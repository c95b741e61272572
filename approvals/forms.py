from django import forms
from django.utils.text import format_lazy
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

    # Fields that belong to one choice only ("field:value value"): with JavaScript the others are hidden
    # (static/js/app.js); without it every field shows, its help text saying which choice it belongs to.
    show_for = {
        "payer": "requested_list:assistance",
        "amount_per_community": "requested_list:assistance",
        "issuing_level": "requested_list:assessments",
        "max_per_year": "requested_list:assessments",
        "scope_streets": "scope:streets",
        "scope_communities": "scope:communities",
        "urgency_justification": "is_urgent:on",
        "regularises": "is_urgent:",
    }
    only_for = {
        "requested_list:assistance": _("Only for the assistance list (who delegates pays)."),
        "requested_list:assessments": _("Only for the assessment list."),
        "scope:streets": _("Only when the item is for the communities of some streets."),
        "scope:communities": _("Only when the item is for chosen communities."),
        "is_urgent:on": _("Only for an urgent major item."),
        "is_urgent:": _("Only for a regular application that takes over an approved urgent item."),
    }

    def __init__(self, *args, district: Unit, applicant_unit: Unit, validate_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for name, condition in self.show_for.items():
            field = self.fields[name]
            field.help_text = format_lazy("{} {}", field.help_text, self.only_for[condition]).strip()
        # Checked at the field as soon as it changes, by the same form on the server (approvals.views).
        self.validate_url = validate_url
        if validate_url:
            for name, field in self.fields.items():
                field.widget.attrs.update(
                    {
                        "hx-post": f"{validate_url}?field={name}",
                        "hx-trigger": "change",
                        "hx-target": f"#message-{self.add_prefix(name)}",
                        "hx-swap": "outerHTML",
                    }
                )
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
