"""Reply slips (回执单): issued once, kept as issued, verified by a signed serial.

`slip_issue` keeps the answer of the check as the slip states it and numbers it in the district's year
(锦江区-2026-000123). The QR code on the paper opens `/check/slips/<token>/`, where the token is the serial
signed with the site's key (django.core.signing): a serial typed by hand, altered on the paper or made up
has no valid signature, and the page refuses it. The page shows the stored slip, never a new judgement.
"""

from django.core import signing
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .check import CheckResult
from .models import ReplySlip, Unit
from .privacy import mask_personal_numbers

SALT = "catalog.reply-slip"
DEMANDING_UNIT_CHARS = 100
SHOWN_ITEMS = 3


class SlipRefused(Exception):
    """A verification that cannot show a slip: a bad signature (400) or a serial never issued (404)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def slip_token(slip: ReplySlip) -> str:
    """The serial with its signature: what the QR code's address carries."""
    return _signer().sign(slip.serial)


def slip_from_token(token: str) -> ReplySlip:
    """The slip a token names, as issued; SlipRefused if the token was altered or names no slip."""
    try:
        serial = _signer().unsign(token)
    except signing.BadSignature:
        raise SlipRefused(
            _(
                "This reply slip cannot be verified: its serial number or security code has been altered, or it "
                "was not issued by this system. Do not rely on it; check the demand again."
            ),
            400,
        ) from None
    # Read on the primary, even where the page's reads go to a replica (config.db_router: /check/ may): a slip just
    # issued and scanned on another phone is not yet on a lagging replica, and the page would call it never issued.
    slip = ReplySlip.objects.using(DEFAULT_DB_ALIAS).select_related("district__parent", "community__parent", "version")
    slip = slip.filter(serial=serial).first()
    if slip is None:
        raise SlipRefused(
            _("No reply slip with serial number %(serial)s was issued by this system.") % {"serial": serial}, 404
        )
    return slip


def version_label(version) -> str:
    if version is None:
        return ""
    return _("%(title)s (version %(number)s, in force from %(date)s)") % {
        "title": version.title or _("District catalogue"),
        "number": version.number,
        "date": version.effective_from.strftime("%Y-%m-%d"),
    }


@transaction.atomic
def slip_issue(*, result: CheckResult, demanding_unit: str = "", actor=None) -> ReplySlip:
    """Keep `result` as a numbered slip of its community's district. The district's row is locked while the
    next number is taken, so two slips issued at once never share one."""
    district = Unit.objects.select_for_update().get(pk=result.community.district_id)
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    last = ReplySlip.objects.filter(district=district, year=year).aggregate(last=Max("sequence"))["last"] or 0
    sequence = last + 1
    shown = result.candidates[:SHOWN_ITEMS]
    best = shown[0].item if shown and not result.hedged else None
    # The document and article; its 文号 is kept on its own, so the slip names it once.
    basis = " ".join(p for p in (best.basis_document, best.basis_article) if p) if best else (result.covered_by or "")
    return ReplySlip.objects.create(
        district=district,
        year=year,
        sequence=sequence,
        serial=f"{district.name}-{year}-{sequence:06d}",
        community=result.community,
        demanding_unit=mask_personal_numbers(demanding_unit)[:DEMANDING_UNIT_CHARS],
        demand=mask_personal_numbers(result.query),
        asked_on=result.on,
        verdict=result.verdict,
        reason=mask_personal_numbers(result.reason),
        hedged=result.hedged,
        version=result.version,
        version_label=version_label(result.version),
        basis_number=best.basis_number if best else "",
        basis=basis[:600],
        items=[
            {"title": c.item.title, "list": str(c.item.get_list_display()), "basis": c.item.basis_display()}
            for c in shown
        ],
        issued_at=issued_at,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
    )
