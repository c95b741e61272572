from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.limits import limit_text
from catalog.models import CatalogueItem, Unit

from .models import Finding

DATE = {"format": "%Y-%m-%d", "attrs": {"type": "date"}}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class BurdenReportForm(forms.Form):
    demanding_unit = forms.ModelChoiceField(label=_("Which unit asked"), queryset=Unit.objects.none())
    demand = limit_text(forms.CharField(label=_("What was asked"), widget=forms.Textarea(attrs={"rows": 4})))
    demanded_on = forms.DateField(label=_("When"), widget=forms.DateInput(**DATE))
    reveal_reporter = forms.BooleanField(label=_("The unit may see that our community reported it"), required=False)
    evidence = MultipleFileField(
        label=_("Evidence (photos, documents)"),
        required=False,
        help_text=_("PDF, PNG, JPEG or office documents, up to 10 MB each."),
    )

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["demanding_unit"].queryset = Unit.objects.filter(
            district=district, kind__in=["department", "street"]
        ).order_by("kind", "name")


class AssessmentForm(forms.Form):
    community = forms.ModelChoiceField(label=_("community"), queryset=Unit.objects.none())
    item = forms.ModelChoiceField(
        label=_("assessment on the list"),
        queryset=CatalogueItem.objects.none(),
        required=False,
        help_text=_("Leave empty if the assessment is not on the list."),
    )
    title = forms.CharField(label=_("assessment"), max_length=200, required=False)
    held_on = forms.DateField(label=_("held on"), widget=forms.DateInput(**DATE))

    def __init__(self, *args, communities, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["item"].queryset = items

    def clean(self):
        data = super().clean()
        if not data.get("item") and not data.get("title"):
            self.add_error("title", _("Name the assessment, or choose it from the list."))
        return data


class InspectionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("unit to inspect"), queryset=Unit.objects.none())
    title = forms.CharField(label=_("title"), max_length=200)
    planned_on = forms.DateField(label=_("planned for"), widget=forms.DateInput(**DATE))
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(district=district, kind__in=["department", "street"])


class FindingForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("unit"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=Finding.Kind.choices)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    burden_report = forms.IntegerField(label=_("burden report number"), required=False)
    application = forms.IntegerField(label=_("application number"), required=False)
    contract = forms.IntegerField(label=_("contract id"), required=False)

    def __init__(self, *args, district, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district
        self.fields["unit"].queryset = Unit.objects.filter(district=district, kind__in=["department", "street"])

    def clean_application(self):
        from approvals.models import Application

        return self._of_district(Application, "application", _("No application #%(id)s in %(district)s."))

    def clean_contract(self):
        from funding.models import Contract

        return self._of_district(Contract, "contract", _("No contract #%(id)s in %(district)s."))

    def _of_district(self, model, name: str, missing: str):
        number = self.cleaned_data.get(name)
        if number is None:
            return None
        obj = model.objects.filter(district=self.district, pk=number).first()
        if obj is None:
            raise forms.ValidationError(missing % {"id": number, "district": self.district})
        return obj


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(label=_("notice"), widget=forms.Textarea(attrs={"rows": 4}))
    correct_by = forms.DateField(label=_("correct by"), widget=forms.DateInput(**DATE))
