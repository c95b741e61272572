from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import CatalogueItem, Unit

DATE = {"format": "%Y-%m-%d", "attrs": {"type": "date"}}
SCHEDULE_ROWS = 4


class ContractForm(forms.Form):
    number = forms.CharField(label=_("contract number"), max_length=50)
    item = forms.ModelChoiceField(label=_("assistance item"), queryset=CatalogueItem.objects.none(), required=False)
    communities = forms.ModelMultipleChoiceField(
        label=_("communities"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    amount_per_community = forms.DecimalField(
        label=_("amount per community (yuan)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    starts_on = forms.DateField(label=_("period from"), widget=forms.DateInput(**DATE))
    ends_on = forms.DateField(label=_("period to"), widget=forms.DateInput(**DATE))

    def __init__(self, *args, items, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["communities"].queryset = communities
        self.fields["communities"].label_from_instance = lambda u: f"{u.parent.name} · {u.name}"
        for n in range(1, SCHEDULE_ROWS + 1):
            self.fields[f"due_{n}"] = forms.DateField(
                label=_("instalment %(n)s due on") % {"n": n}, required=False, widget=forms.DateInput(**DATE)
            )
            self.fields[f"share_{n}"] = forms.DecimalField(
                label=_("instalment %(n)s share (%%)") % {"n": n}, required=False, max_digits=5, decimal_places=2
            )

    def schedule(self) -> list:
        rows = []
        for n in range(1, SCHEDULE_ROWS + 1):
            due, share = self.cleaned_data.get(f"due_{n}"), self.cleaned_data.get(f"share_{n}")
            if due or share:
                if not (due and share):
                    self.add_error(f"due_{n}", _("Give both the due date and the share of each instalment."))
                rows.append((due, share))
        return rows


class PaymentForm(forms.Form):
    instalment = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("paid on"), widget=forms.DateInput(**DATE))
    voucher = forms.CharField(label=_("voucher number (凭证号)"), max_length=50)
    note = forms.CharField(label=_("note"), required=False, max_length=300)


class AmendForm(forms.Form):
    amount_per_community = forms.DecimalField(
        label=_("new amount per community"), required=False, max_digits=14, decimal_places=2
    )
    ends_on = forms.DateField(label=_("new end of period"), required=False, widget=forms.DateInput(**DATE))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReportForm(forms.Form):
    GROUPS = [("payer", _("Paying unit")), ("community", _("Community")), ("item", _("Item"))]
    start = forms.DateField(label=_("period from"), required=False, widget=forms.DateInput(**DATE))
    end = forms.DateField(label=_("period to"), required=False, widget=forms.DateInput(**DATE))
    payer = forms.ModelChoiceField(label=_("paying unit"), queryset=Unit.objects.none(), required=False)
    community = forms.ModelChoiceField(label=_("community"), queryset=Unit.objects.none(), required=False)
    item = forms.CharField(label=_("item"), required=False)
    group = forms.ChoiceField(label=_("per"), choices=GROUPS, required=False)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = Unit.objects.filter(
            district__in=districts, kind__in=["department", "street"]
        ).order_by("name")
        self.fields["community"].queryset = Unit.objects.communities().filter(district__in=districts).order_by("name")
