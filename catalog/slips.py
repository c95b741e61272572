"""Reply slips (回执单): issued once, kept as issued, verified by a signed serial.

`slip_issue` keeps the answer of the check as the slip states it and numbers it in the district's year
(锦江区-2026-000123). The QR code on the paper opens `/check/slips/<token>/`, where the token is the serial
signed with the site's key (django.core.signing): a serial typed by hand, altered on the paper or made up
has no valid signature, and the page refuses it. The page shows the stored slip, never a new judgement.

`notice_slip_issue` keeps a whole notice's answer (catalog.notice.NoticeCheck) on one slip of the same series: each
demand, its verdict, reason and basis, as the page showed them.
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
    except (signing.BadSignature, UnicodeEncodeError):  # a character no text can hold (a lone surrogate) too
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


def _next_number(district_id: int) -> tuple[Unit, int, int, object]:
    """The district (its row locked until the transaction ends, so two slips issued at once never share a number),
    the year, the next number in it and the moment of issue."""
    district = Unit.objects.select_for_update().get(pk=district_id)
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    last = ReplySlip.objects.filter(district=district, year=year).aggregate(last=Max("sequence"))["last"] or 0
    return district, year, last + 1, issued_at


def _basis_of(result: CheckResult):
    """(the item the answer rests on or None, the document and article, its 文号) of a check's answer."""
    shown = result.candidates[:SHOWN_ITEMS]
    best = shown[0].item if shown and not result.hedged else None
    # The document and article; its 文号 is kept on its own, so the slip names it once.
    basis = " ".join(p for p in (best.basis_document, best.basis_article) if p) if best else (result.covered_by or "")
    return best, basis[:600], best.basis_number if best else ""


def _numbered(*, community, version, demanding_unit: str, actor, **fields) -> ReplySlip:
    """The next slip of `community`'s district, with the facts every slip states."""
    district, year, sequence, issued_at = _next_number(community.district_id)
    return ReplySlip.objects.create(
        district=district,
        year=year,
        sequence=sequence,
        serial=f"{district.name}-{year}-{sequence:06d}",
        community=community,
        demanding_unit=mask_personal_numbers(demanding_unit)[:DEMANDING_UNIT_CHARS],
        version=version,
        version_label=version_label(version),
        issued_at=issued_at,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
        **fields,
    )


@transaction.atomic
def slip_issue(*, result: CheckResult, demanding_unit: str = "", actor=None) -> ReplySlip:
    """Keep `result` as a numbered slip of its community's district."""
    shown = result.candidates[:SHOWN_ITEMS]
    _best, basis, basis_number = _basis_of(result)
    return _numbered(
        community=result.community,
        version=result.version,
        demanding_unit=demanding_unit,
        actor=actor,
        demand=mask_personal_numbers(result.query),
        asked_on=result.on,
        verdict=result.verdict,
        reason=mask_personal_numbers(result.reason),
        hedged=result.hedged,
        basis_number=basis_number,
        basis=basis,
        items=[
            {"title": c.item.title, "list": str(c.item.get_list_display()), "basis": c.item.basis_display()}
            for c in shown
        ],
    )


class NothingToIssue(ValueError):
    """A notice in which no demand was found: a slip would answer nothing."""


@transaction.atomic
def notice_slip_issue(*, result, demanding_unit: str = "", actor=None) -> ReplySlip:
    """Keep the answer to a whole notice (catalog.notice.NoticeCheck) as one numbered slip: each demand with its
    verdict, reason and basis as the page showed them, in the notice's order."""
    if not result.demands:
        raise NothingToIssue(_("No demand was found in the notice: a reply slip would answer nothing."))
    demands = []
    for judged in result.demands:
        best, basis, basis_number = _basis_of(judged.result)
        demands.append(
            {
                "number": judged.demand.number,
                "text": mask_personal_numbers(judged.demand.text),
                "verdict": str(judged.result.verdict),
                "reason": mask_personal_numbers(judged.result.reason),
                "hedged": judged.result.hedged,
                "item": best.title if best else "",
                "list": str(best.get_list_display()) if best else "",
                "basis": basis,
                "basis_number": basis_number,
            }
        )
    heading = mask_personal_numbers(result.heading) or _("Notice")
    return _numbered(
        community=result.community,
        version=result.version,
        demanding_unit=demanding_unit,
        actor=actor,
        demand=heading[:300],
        asked_on=result.date,
        verdict="",
        reason="",
        hedged=any(d["hedged"] for d in demands),
        demands=demands,
    )
