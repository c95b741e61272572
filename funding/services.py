"""Writes for 费随事转. Money is Decimal, exact to the fen; every change locks what it changes."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import Application
from approvals.services import sniff_upload
from catalog.answers import invalidate_check_answers
from catalog.choices import ItemList, Role, UnitKind
from catalog.models import CatalogueItem, Unit, User
from catalog.notifications import civil_affairs_of, notify, staff_of
from catalog.text import comparison_key
from catalog.transitions import StateConflict

from .choices import ContractState as S
from .choices import PaymentState
from .models import Contract, ContractAmendment, FundingSnapshot, Instalment, Payment
from .selectors import instalments_visible_to, unfunded_obligations
from .states import AMENDABLE, CONTRACT, PAYABLE, PAYMENT

FEN = Decimal("0.01")
# A contract funds work for a budget cycle or a few: a longer one is a typing mistake (0001–9999 made an item
# funded for ever), and so is a year no district budget has.
MAX_CONTRACT_YEARS = 5
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


class FundingError(Exception):
    """A funding change the rules do not allow; the message says why."""


class FundingConflict(FundingError, StateConflict):
    """The contract or payment is not in a state the action needs (the API answers 409 Conflict)."""


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def period_errors(starts_on: date, ends_on: date) -> list[str]:
    """What is wrong with a contract period, if anything: ordered, within sensible years, a few years at most."""
    errors = []
    if ends_on < starts_on:
        errors.append(_("The period must end after it starts."))
    if not (EARLIEST_YEAR <= starts_on.year <= LATEST_YEAR and EARLIEST_YEAR <= ends_on.year <= LATEST_YEAR):
        errors.append(
            _("The period must lie between the years %(first)s and %(last)s.")
            % {"first": EARLIEST_YEAR, "last": LATEST_YEAR}
        )
    elif ends_on >= _years_later(starts_on, MAX_CONTRACT_YEARS):
        errors.append(
            _("A contract runs for %(n)s years at most: from %(start)s it must end by %(last)s.")
            % {
                "n": MAX_CONTRACT_YEARS,
                "start": starts_on,
                "last": _years_later(starts_on, MAX_CONTRACT_YEARS) - timedelta(days=1),
            }
        )
    return errors


def pays_for_some(user: User) -> bool:
    """Whether `user`'s role records payments at all (for some paying unit): administrators, and the staff of a
    department or a street office, for their own unit's contracts."""
    return user.is_authenticated and user.role in (Role.ADMIN, Role.DEPARTMENT_STAFF, Role.STREET_STAFF)


def can_pay_for(user: User, contract: Contract) -> bool:
    """The paying unit's own staff keep its contracts and payments; administrators may too."""
    return pays_for_some(user) and (user.role == Role.ADMIN or user.unit_id == contract.payer_id)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def split(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split an amount by percentage shares, to the fen; the last part takes the rounding so the sum is exact."""
    parts = [(total * share / 100).quantize(FEN, rounding=ROUND_DOWN) for share in shares[:-1]]
    return [*parts, total - sum(parts, Decimal("0"))]


def contract_create(
    *,
    actor: User,
    payer: Unit,
    number: str,
    communities: list[Unit],
    amount_per_community: Decimal,
    starts_on: date,
    ends_on: date,
    schedule: list[tuple[date, Decimal]],
    item: CatalogueItem | None = None,
    application: Application | None = None,
) -> Contract:
    """A draft contract for one assistance item (from the catalogue, or an approved application, whose terms
    pre-fill it) with its instalments per community. `schedule` is [(due date, percent of the amount)]."""
    _require(actor.role == Role.ADMIN or actor.unit_id == payer.pk, _("A contract is made by the paying unit itself."))
    schedule = sorted(schedule)  # shares and amounts follow the due dates, whatever order they were entered in
    errors: dict[str, list[str]] = {}
    if payer.kind not in (UnitKind.DEPARTMENT, UnitKind.STREET):
        errors.setdefault("payer", []).append(_("The paying unit must be a department or a street office."))
    if item is None and application is None:
        errors.setdefault("item", []).append(_("Choose the assistance item the contract funds."))
    if item is not None and item.list != ItemList.ASSISTANCE:
        errors.setdefault("item", []).append(_("Only assistance items are funded by contract (费随事转)."))
    if item is not None and (item.version.district_id != payer.district_id or item.version.state != "published"):
        errors.setdefault("item", []).append(_("Choose an assistance item of your district's published catalogue."))
    if application is not None and (
        application.state != "approved"
        or application.district_id != payer.district_id
        or application.requested_list != "assistance"
        or (item is None and application.catalogue_item_key is None)
    ):
        errors.setdefault("application", []).append(
            _(
                "Only an approved assistance application of your district can be funded; for an urgent item, "
                "choose the catalogue item it concerns."
            )
        )
    if Contract.objects.filter(payer=payer, number=number).exists():
        errors.setdefault("number", []).append(
            _("%(payer)s already has a contract numbered %(number)s.") % {"payer": payer, "number": number}
        )
    if not communities:
        errors.setdefault("communities", []).append(_("Choose at least one community."))
    seen: set[int] = set()
    for community in communities:
        if community.pk in seen:
            errors.setdefault("communities", []).append(
                _("%(community)s is listed more than once; list each community once.") % {"community": community}
            )
        seen.add(community.pk)
    if any(c.kind != UnitKind.COMMUNITY or c.district_id != payer.district_id for c in communities):
        errors.setdefault("communities", []).append(_("Every community must be in the paying unit's district."))
    for message in period_errors(starts_on, ends_on):
        errors.setdefault("ends_on", []).append(message)
    if (
        amount_per_community is None
        or amount_per_community <= 0
        or amount_per_community != amount_per_community.quantize(FEN)
    ):
        # 谁委托谁出钱: the delegating unit pays, so a contract for 0.00 funds nothing.
        errors.setdefault("amount_per_community", []).append(_("Give an amount in yuan above zero, to the fen."))
    shares = [Decimal(str(share)) for _due, share in schedule]
    if not schedule or sum(shares) != 100 or any(share <= 0 for share in shares):
        errors.setdefault("schedule", []).append(_("The instalments' shares must be positive and add up to 100%."))
    if any(not starts_on <= due <= ends_on for due, _share in schedule):
        errors.setdefault("schedule", []).append(_("Every instalment must fall due within the contract period."))
    if errors:
        raise ValidationError(errors)
    key, title = (item.key, item.title) if item else (application.catalogue_item_key, application.title)
    with transaction.atomic():
        try:
            with transaction.atomic():
                contract = Contract.objects.create(
                    district=payer.district,
                    payer=payer,
                    number=number,
                    item_key=key,
                    item_title=title,
                    application=application,
                    amount_per_community=amount_per_community,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    created_by=actor,
                )
        except IntegrityError as exc:
            raise ValidationError(
                {
                    "number": _("%(payer)s already has a contract numbered %(number)s.")
                    % {"payer": payer, "number": number}
                }
            ) from exc
        contract.communities.set(communities)
        amounts = split(amount_per_community, shares)
        Instalment.objects.bulk_create(
            [
                Instalment(contract=contract, community=community, sequence=n, due_on=due, amount=amount)
                for community in communities
                for n, ((due, _share), amount) in enumerate(zip(sorted(schedule), amounts, strict=True), start=1)
            ]
        )
    return contract


def contract_sign(*, contract: Contract, actor: User, document, today: date | None = None) -> Contract:
    """Record the signed agreement (the scanned document is required) and who signed; in force at once if its
    period began."""
    _require(can_pay_for(actor, contract), _("Only the paying unit signs its contracts."))
    try:
        content_type = sniff_upload(document, document.name)
    except ValidationError as exc:
        raise ValidationError({"signed_document": exc.messages}) from exc
    if content_type not in ("application/pdf", "image/png", "image/jpeg"):
        raise ValidationError({"signed_document": _("Upload the signed agreement as a PDF or a scan (PNG, JPEG).")})
    today = today or timezone.localdate()
    with transaction.atomic():
        contract = CONTRACT.begin(contract, "sign")
        contract.signed_document = document
        contract.signed_at = timezone.now()
        CONTRACT.finish(contract, "sign", actor=actor, note=_("Signed agreement: %(name)s") % {"name": document.name})
        if contract.starts_on <= today:
            contract = _activate(contract, actor=actor)
    return contract


def _activate(contract: Contract, *, actor: User | None) -> Contract:
    contract = CONTRACT.begin(contract, "activate")
    note = _("The period began on %(date)s.") % {"date": contract.starts_on}
    return CONTRACT.finish(contract, "activate", actor=actor, note=note, update_fields=[])


def contract_terminate(*, contract: Contract, actor: User, reason: str) -> Contract:
    _require(can_pay_for(actor, contract), _("Only the paying unit terminates its contracts."))
    if not reason.strip():
        raise ValidationError({"termination_reason": _("Say why the contract ends early.")})
    with transaction.atomic():
        contract = CONTRACT.begin(contract, "terminate")
        ContractAmendment.objects.create(
            contract=contract, changes={"state": [contract.state, S.TERMINATED]}, reason=reason, changed_by=actor
        )
        contract.termination_reason = reason
        CONTRACT.finish(contract, "terminate", actor=actor, note=reason)
    return contract


def contract_amend(
    *,
    contract: Contract,
    actor: User,
    reason: str,
    amount_per_community: Decimal | None = None,
    ends_on: date | None = None,
) -> Contract:
    """Change the amount or the end of a contract, keeping the history; a new amount changes each community's
    last instalment, which may not fall below what it has already been paid."""
    _require(can_pay_for(actor, contract), _("Only the paying unit amends its contracts."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the contract is amended.")})
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.state not in AMENDABLE:
            raise FundingConflict(_("An ended contract cannot be amended."))
        changes = {}
        if ends_on is not None and ends_on != contract.ends_on:
            last_due = contract.instalments.order_by("-due_on").values_list("due_on", flat=True).first()
            if ends_on < contract.starts_on or (last_due and ends_on < last_due):
                raise ValidationError(
                    {
                        "ends_on": _("The period must still cover every instalment (the last is due on %(date)s).")
                        % {"date": last_due}
                    }
                )
            last_paid = (
                Payment.objects.filter(instalment__contract=contract)
                .order_by("-paid_on")
                .values_list("paid_on", flat=True)
                .first()
            )
            if last_paid and ends_on < last_paid:  # payments lie within the period, after an amendment too
                raise ValidationError(
                    {
                        "ends_on": _("A payment was recorded on %(date)s: the period must still cover it.")
                        % {"date": last_paid}
                    }
                )
            if problems := period_errors(contract.starts_on, ends_on):
                raise ValidationError({"ends_on": problems})
            changes["ends_on"] = [contract.ends_on.isoformat(), ends_on.isoformat()]
            contract.ends_on = ends_on
        if amount_per_community is not None and amount_per_community != contract.amount_per_community:
            if amount_per_community <= 0 or amount_per_community != amount_per_community.quantize(FEN):
                raise ValidationError({"amount_per_community": _("Give an amount in yuan above zero, to the fen.")})
            difference = amount_per_community - contract.amount_per_community
            for instalment in _last_instalments(contract):
                if instalment.amount + difference < instalment.paid:
                    raise ValidationError(
                        {
                            "amount_per_community": _(
                                "%(community)s has already been paid %(paid)s on its last instalment; "
                                "the new amount would "
                                "leave it below that."
                            )
                            % {"community": instalment.community, "paid": instalment.paid}
                        }
                    )
                Instalment.objects.filter(pk=instalment.pk).update(amount=F("amount") + difference)
            changes["amount_per_community"] = [str(contract.amount_per_community), str(amount_per_community)]
            contract.amount_per_community = amount_per_community
        if not changes:
            raise ValidationError(_("Nothing would change."))
        contract.save()
        ContractAmendment.objects.create(contract=contract, changes=changes, reason=reason, changed_by=actor)
    return contract


def _last_instalments(contract: Contract) -> list[Instalment]:
    latest: dict[int, Instalment] = {}
    for instalment in Instalment.objects.select_for_update().filter(contract=contract).select_related("community"):
        if instalment.community_id not in latest or instalment.sequence > latest[instalment.community_id].sequence:
            latest[instalment.community_id] = instalment
    return list(latest.values())


# --- Payments ------------------------------------------------------------------------------------------------


def _reversed_answer(payment: Payment) -> str:
    """What a replayed voucher of a reversed payment (or of its counter-entry) is told: nothing stands paid."""
    original = payment.reverses if payment.state == PaymentState.REVERSAL else payment
    reversal = payment if payment.state == PaymentState.REVERSAL else payment.reversed_by
    return _(
        "Voucher %(voucher)s: the payment of %(amount)s yuan on %(paid_on)s was reversed on %(reversed_on)s "
        "(counter-entry %(counter)s), so nothing stands paid under it. Record a new payment with a new voucher."
    ) % {
        "voucher": payment.voucher,
        "amount": original.amount,
        "paid_on": original.paid_on,
        "reversed_on": reversal.paid_on,
        "counter": reversal.voucher,
    }


class InstalmentNotFound(LookupError):
    """An instalment id that names none the actor may see: told as one that names nothing (the API's 404)."""


class PaymentReversed(FundingConflict):
    """The voucher belongs to a payment that was reversed: a replay must not look paid (409)."""


def _voucher_errors(voucher: str) -> tuple[str, list[str]]:
    key = comparison_key(voucher)
    if not key:
        return key, [_("Give the voucher number (凭证号).")]
    if len(voucher) > Payment._meta.get_field("voucher").max_length or (
        len(key) > Payment._meta.get_field("voucher_key").max_length
    ):
        return key, [_("Give the voucher number as printed on the voucher (letters, digits and dashes).")]
    return key, []


def payment_record(
    *,
    instalment: Instalment | int | None,
    actor: User,
    amount: Decimal,
    paid_on: date,
    voucher: str,
    note: str = "",
    today: date | None = None,
) -> tuple[Payment, bool]:
    """Record a payment against an instalment. A voucher is one voucher however it is typed (case, full-width,
    spaces, invisible characters: catalog.text.comparison_key): submitted again, the first payment comes back
    with created=False; if that payment was reversed, the answer says so. Never more than the instalment's
    outstanding amount; paid within the contract period and not in the future.

    `instalment` is an Instalment, or the id of one the actor may see (selectors.instalments_visible_to): an id
    is looked up in that scope by the query that locks it, one read instead of two (an API payment), and an id
    outside it, or None (a value that is not an id), raises InstalmentNotFound. A role that pays for nobody is
    refused before anything is read or locked, whatever the id."""
    given = isinstance(instalment, Instalment)
    paying_unit_only = _("Only the paying unit records its payments.")
    _require(can_pay_for(actor, instalment.contract) if given else pays_for_some(actor), paying_unit_only)
    today = today or timezone.localdate()
    voucher = voucher.strip()
    key, voucher_problems = _voucher_errors(voucher)
    errors = {}
    if voucher_problems:
        errors["voucher"] = voucher_problems
    if amount is None or amount <= 0 or amount != amount.quantize(FEN):
        errors["amount"] = [_("Give an amount in yuan above zero, to the fen.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The instalment and its contract are locked (a termination locks the contract); the community is read
        # with them, unlocked, for the answer.
        scope = Instalment.objects if given else instalments_visible_to(actor)
        try:
            locked = (
                scope.select_for_update(of=("self", "contract"))
                .select_related(None)
                .select_related("contract", "community")
                .get(pk=instalment.pk if given else instalment)  # None, not an id: no row
            )
        except Instalment.DoesNotExist:
            raise InstalmentNotFound(_("No such instalment in your scope.")) from None
        _require(can_pay_for(actor, locked.contract), paying_unit_only)
        refusal = _payment_refusal(locked, amount=amount, paid_on=paid_on, today=today)
        if refusal is None:
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        instalment=locked,
                        payer_id=locked.contract.payer_id,
                        paid_on=paid_on,
                        amount=amount,
                        voucher=voucher,
                        note=note,
                        recorded_by=actor,
                    )
            except IntegrityError as clash:
                refusal = clash  # the voucher is the payer's already (recorded before, or by a request just now)
            else:
                Instalment.objects.filter(pk=locked.pk).update(paid=F("paid") + amount)
                return payment, True
        # A voucher recorded before is answered with its payment, whatever has changed since (the instalment paid
        # in full by it, the contract ended): a retry is told what the first submission did, never refused for
        # what it did. Read only when the payment was not recorded, under the lock, after any racing commit.
        existing = Payment.objects.filter(payer_id=locked.contract.payer_id, voucher_key=key).first()
        if existing is None:
            raise refusal
        if existing.state != PaymentState.RECORDED:
            raise PaymentReversed(_reversed_answer(existing))
        if (existing.instalment_id, existing.amount, existing.paid_on) == (locked.pk, amount, paid_on):
            existing.instalment = locked  # the answer names its community: the row read under the lock has it
            return existing, False
        raise ValidationError(
            {
                "voucher": _("Voucher %(voucher)s was already used for another payment (recorded as %(first)s).")
                % {"voucher": voucher, "first": existing.voucher}
            }
        )


def _payment_refusal(locked: Instalment, *, amount: Decimal, paid_on: date, today: date) -> Exception | None:
    """Why a new payment may not be recorded against the locked instalment, or None."""
    contract = locked.contract
    if contract.state not in PAYABLE:
        return FundingConflict(_("Payments are recorded on signed contracts that have not ended."))
    if not contract.starts_on <= paid_on <= contract.ends_on:
        return ValidationError(
            {
                "paid_on": _("A payment under this contract is made within its period, %(start)s to %(end)s.")
                % {"start": contract.starts_on, "end": contract.ends_on}
            }
        )
    if paid_on > today:
        return ValidationError(
            {"paid_on": _("%(date)s is in the future: record a payment once it is made.") % {"date": paid_on}}
        )
    if amount > locked.amount - locked.paid:
        return ValidationError(
            {
                "amount": _(
                    "Only %(outstanding)s yuan is still due on this instalment; paying more needs an amendment first."
                )
                % {"outstanding": locked.amount - locked.paid}
            }
        )
    return None


def payment_reverse(*, payment: Payment, actor: User, voucher: str, reason: str, on: date | None = None) -> Payment:
    """Undo a mistaken payment with a counter-entry (the original stays, as the books require, marked reversed)."""
    _require(can_pay_for(actor, payment.instalment.contract), _("Only the paying unit reverses its payments."))
    today = timezone.localdate()
    on = on or today
    voucher = voucher.strip()
    key, voucher_problems = _voucher_errors(voucher)
    errors = {}
    if not reason.strip():
        errors["note"] = [_("Say why the payment is reversed.")]
    elif len(reason) > (limit := Payment._meta.get_field("note").max_length):
        errors["note"] = [_("Say why in at most %(n)s characters.") % {"n": limit}]
    if voucher_problems:
        errors["voucher"] = voucher_problems
    if on > today:
        errors["on"] = [_("%(date)s is in the future: reverse a payment once it is undone.") % {"date": on}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Instalment.objects.select_for_update().get(pk=payment.instalment_id)
        if payment.reverses_id:
            raise FundingConflict(_("This entry is a counter-entry; it cannot be reversed."))
        original = PAYMENT.begin(payment, "reverse")
        if on < original.paid_on:
            raise ValidationError(
                {"on": _("A reversal cannot precede the payment it undoes (%(date)s).") % {"date": original.paid_on}}
            )
        if Payment.objects.filter(payer_id=original.payer_id, voucher_key=key).exists():
            raise ValidationError({"voucher": _("Voucher %(voucher)s was already used.") % {"voucher": voucher}})
        try:
            with transaction.atomic():
                reversal = Payment.objects.create(
                    instalment_id=original.instalment_id,
                    payer_id=original.payer_id,
                    paid_on=on,
                    amount=-original.amount,
                    voucher=voucher,
                    reverses=original,
                    state=PaymentState.REVERSAL,
                    note=reason,
                    recorded_by=actor,
                )
        except IntegrityError as exc:
            raise ValidationError(
                {"voucher": _("Voucher %(voucher)s was already used.") % {"voucher": voucher}}
            ) from exc
        PAYMENT.finish(original, "reverse", actor=actor, note=reason, update_fields=[])
        Instalment.objects.filter(pk=original.instalment_id).update(paid=F("paid") - original.amount)
    return reversal


# --- Scheduled work (safe to run twice and late) --------------------------------------------------------------


def contracts_advance(*, today: date | None = None) -> dict:
    """Signed contracts come into force on their start; fully paid ones complete after their end."""
    today = today or timezone.localdate()
    started = completed = 0
    for contract in Contract.objects.filter(state=S.SIGNED, starts_on__lte=today).order_by("pk"):
        with transaction.atomic():
            try:
                _activate(contract, actor=None)
            except StateConflict:
                continue  # someone else moved it first (a second run, a termination)
            started += 1
    for contract in Contract.objects.filter(state=S.IN_FORCE, ends_on__lt=today).order_by("pk"):
        with transaction.atomic():
            try:
                contract = CONTRACT.begin(contract, "complete")
            except StateConflict:
                continue
            if contract.instalments.filter(paid__lt=F("amount")).exists():
                continue
            note = _("Every instalment paid; the period ended on %(date)s.") % {"date": contract.ends_on}
            CONTRACT.finish(contract, "complete", actor=None, note=note, update_fields=[])
            completed += 1
    if started or completed:
        invalidate_check_answers()  # the check reads contracts in force
    return {"in_force": started, "completed": completed}


def instalments_remind(*, today: date | None = None, days_ahead: int = 7) -> int:
    """Tell the payer and civil-affairs about instalments coming due and overdue, once each."""
    today = today or timezone.localdate()
    sent = 0
    due = Instalment.objects.filter(
        paid__lt=F("amount"), contract__state=S.IN_FORCE, due_on__lte=today + timedelta(days=days_ahead)
    ).select_related("contract__payer", "contract__district", "community")
    for instalment in due:
        contract = instalment.contract
        overdue = instalment.due_on < today
        subject = (
            _("Overdue: %(amount)s yuan to %(community)s under %(number)s was due on %(date)s")
            if overdue
            else _("Coming due: %(amount)s yuan to %(community)s under %(number)s on %(date)s")
        ) % {
            "amount": instalment.outstanding,
            "community": instalment.community,
            "number": contract.number,
            "date": instalment.due_on,
        }
        users = list(staff_of(contract.payer)) + list(civil_affairs_of(contract.district))
        sent += notify(
            users=users,
            subject=subject,
            url=f"/funding/contracts/{contract.pk}/",
            dedupe_key=f"instalment-{instalment.pk}-{'overdue' if overdue else 'due'}",
        )
    return sent


def snapshot_month(*, today: date | None = None) -> int:
    """The funding position of every district on the first of the month; a second run finds it done."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    written = 0
    for district in Unit.objects.districts():
        if FundingSnapshot.objects.filter(district=district, month=month).exists():
            continue
        instalments = Instalment.objects.filter(contract__district=district).exclude(contract__state=S.DRAFT)
        sums = instalments.aggregate(promised=Sum("amount"), paid=Sum("paid"))
        overdue = instalments.filter(due_on__lt=today, paid__lt=F("amount")).aggregate(
            total=Sum(F("amount") - F("paid"))
        )["total"]
        unfunded = len(unfunded_obligations(districts=Unit.objects.filter(pk=district.pk), on=today))
        _snapshot, created = FundingSnapshot.objects.get_or_create(
            district=district,
            month=month,
            defaults={
                "promised": sums["promised"] or 0,
                "paid": sums["paid"] or 0,
                "overdue": overdue or 0,
                "unfunded_obligations": unfunded,
            },
        )
        written += created
    return written
