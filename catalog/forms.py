from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .aliases import MAX_ALIAS_LENGTH, MAX_ALIASES, clean_aliases, split_aliases
from .limits import limit_text
from .models import CatalogueItem, DistrictPolicy, Unit

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


class AliasesField(forms.CharField):
    """常见说法 as staff write them: one wording per line (or separated by 、), kept normalised and once each."""

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        if len(text) > self.max_length:
            raise forms.ValidationError(
                _("Keep the wordings under %(max)s characters in all.") % {"max": self.max_length}
            )
        return clean_aliases(split_aliases(text))

    def validate(self, value):
        pass  # to_python already said what is wrong; an empty list is no wordings

    def run_validators(self, value):
        pass  # the length bound applies to each wording (clean_aliases), not to the joined text


class CatalogueItemForm(forms.ModelForm):
    allowed_months = forms.TypedMultipleChoiceField(
        label=_("months allowed"), choices=MONTHS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    aliases = AliasesField(
        label=_("common wordings (常见说法)"),
        required=False,
        max_length=(MAX_ALIAS_LENGTH + 1) * MAX_ALIASES,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(
            _(
                "How demands word this item, one per line (at most {n}, each up to {max} characters). "
                "Published with the version."
            ),
            n=MAX_ALIASES,
            max=MAX_ALIAS_LENGTH,
        ),
    )

    class Meta:
        model = CatalogueItem
        fields = CatalogueItem.CONTENT_FIELDS  # what staff edit is what versions compare
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "withdrawal_reason": forms.Textarea(attrs={"rows": 2}),
            "applies_until": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }

    def __init__(self, *args, district=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The communities an item applies to (none ticked = every community of the district), after its terms.
        self.fields["communities"] = forms.ModelMultipleChoiceField(
            label=_("communities it applies to"),
            help_text=_("Leave empty for every community of the district."),
            queryset=(
                Unit.objects.communities().filter(district=district) if district is not None else Unit.objects.none()
            )
            .select_related("parent")
            .order_by("parent__name", "name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            initial=list(self.instance.communities.all()) if self.instance.pk else [],
        )
        self.fields["communities"].label_from_instance = lambda unit: f"{unit.parent.name} · {unit.name}"


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

    def answer_as_you_type(self, *, url: str, target: str, indicator: str) -> None:
        """With JavaScript, typing (paused 400 ms) or changing the date asks the same page for its answer only
        (catalog.partials) and shows it in `target`; the last keystroke's request replaces any still running."""
        for name, trigger in (("q", "input changed delay:400ms"), ("date", "change")):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": trigger,
                    "hx-include": "closest form",
                    "hx-target": target,
                    "hx-sync": "closest form:replace",
                    "hx-indicator": indicator,
                }
            )


class SlipForm(forms.Form):
    demanding_unit = forms.CharField(
        label=_("Unit that made the demand"),
        max_length=100,
        required=False,
        help_text=_("Printed on the slip, e.g. 区城市管理局 or 双桂路街道办事处."),
    )


class NoticePhotoForm(forms.Form):
    """拍照查一查: a photo of a notice (the camera) or a picture already on the phone (a screenshot)."""

    community = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("Take a photo of the notice"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    image = forms.FileField(
        label=_("Or choose a picture or screenshot"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    date = forms.DateField(
        label=_("On"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if not data.get("photo") and not data.get("image"):
            raise forms.ValidationError(_("Take a photo of the notice, or choose a picture of it."))
        return data


class NoticeTextForm(forms.Form):
    """The notice's text as read (the secretary corrects what the reading got wrong), judged again."""

    community = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("The text of the notice (correct it if something was read wrong)"),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    date = forms.DateField(
        label=_("On"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    demanding_unit = forms.CharField(
        label=_("Unit that made the demand"),
        max_length=100,
        required=False,
        help_text=_("Printed on the reply slip: the unit that issued the notice."),
    )
    # Where the read lines are on the picture, signed (catalog.notice.placement_token): the corrected text's demands
    # are marked from it. Not shown; a missing, altered or oversized one marks nothing.
    placement = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .notice import NOTICE_CHARS

        limit_text(self.fields["text"], NOTICE_CHARS)
