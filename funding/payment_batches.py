"""Payments as they arrive: many vouchers recorded at once (one form per contract, or a sheet of vouchers).

Every line goes through `services.payment_record`, the one way a payment is written (the voucher compared as
`voucher_key`, never past what is due, the instalment locked, the database's CHECK behind it). A batch is all
or nothing: every line is tried inside one transaction, and if any is refused the transaction is rolled back
and every refusal is reported, each naming its line (community and instalment, or the sheet's row) and field.
A dry run does the same and always rolls back: what the confirmation shows is what recording will do.

A voucher pays once however it is typed: a line repeating another line of the batch (the same voucher for the
same payment) or a payment already recorded is recorded once and reported as such; the same voucher for a
different payment is refused.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Unit, User
from catalog.text import comparison_key
from catalog.transitions import StateConflict

from . import services
from .models import Instalment, Payment

# The fields of a line, as its errors name them.
FIELD_LABELS = {
    "instalment": gettext_lazy("instalment"),
    "voucher": gettext_lazy("voucher number"),
    "paid_on": gettext_lazy("paid on"),
    "amount": gettext_lazy("amount"),
    "note": gettext_lazy("note"),
}
MAX_LINES = 5000  # a sheet holds at most catalog.io.MAX_ROWS rows


@dataclass
class PaymentLine:
    """One payment to record. `where` names it in errors and in what was recorded (牛沙路社区 · 第1期, or a
    sheet's row); `row` is its sheet row, 0 on a form."""

    instalment_id: int | None
    amount: Decimal | None
    paid_on: date | None
    voucher: str
    note: str = ""
    where: str = ""
    row: int = 0
    # set while recording: the instalment, and what happened to the line
    instalment: Instalment | None = None
    outcome: str = ""  # recorded · repeat (of an earlier line) · already (recorded before)
    payment: Payment | None = None


@dataclass
class LineError:
    line: PaymentLine
    field: str
    message: str

    def __str__(self):
        return _("%(where)s, %(field)s: %(message)s") % {
            "where": self.line.where,
            "field": FIELD_LABELS.get(self.field, self.field),
            "message": self.message,
        }


class BatchRejected(Exception):
    """Nothing was recorded; `errors` says what is wrong, line by line."""

    def __init__(self, errors: list[LineError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


@dataclass
class BatchOutcome:
    lines: list[PaymentLine] = field(default_factory=list)

    @property
    def recorded(self) -> list[PaymentLine]:
        return [line for line in self.lines if line.outcome == "recorded"]

    @property
    def not_added(self) -> list[PaymentLine]:
        return [line for line in self.lines if line.outcome in ("repeat", "already")]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.recorded), Decimal("0.00"))

    def summary(self) -> str:
        """What recording did (or, on a dry run, will do), in one sentence with the count and the total in 元."""
        text = _("%(count)s payments recorded, %(total)s yuan in all.") % {
            "count": len(self.recorded),
            "total": f"{self.total:,.2f}",
        }
        if self.not_added:
            text += " " + _("%(n)s lines repeat a voucher already recorded: nothing was added for them.") % {
                "n": len(self.not_added)
            }
        return text


class _RollBack(Exception):
    pass


def where_of(instalment: Instalment) -> str:
    return _("%(community)s · instalment %(n)s") % {"community": instalment.community.name, "n": instalment.sequence}


def _errors_of(line: PaymentLine, exc: ValidationError) -> list[LineError]:
    if hasattr(exc, "error_dict"):
        return [LineError(line, name, message) for name, messages in exc.message_dict.items() for message in messages]
    return [LineError(line, "voucher", message) for message in exc.messages]


def _check_lines(lines: list[PaymentLine], instalments: dict[int, Instalment]) -> list[LineError]:
    """What is wrong with the lines before any is tried: missing values, unknown instalments, and a voucher given
    twice in the batch for two different payments (the same payment twice is recorded once)."""
    errors = []
    first_of: dict[str, PaymentLine] = {}
    for line in lines:
        line.voucher = (line.voucher or "").strip()
        line.instalment = instalments.get(line.instalment_id)
        if line.instalment is None:
            errors.append(LineError(line, "instalment", _("There is no such instalment of your unit's contracts.")))
        if not comparison_key(line.voucher):
            errors.append(LineError(line, "voucher", _("Give the voucher number (凭证号).")))
        if line.paid_on is None:
            errors.append(LineError(line, "paid_on", _("Give the day the payment was made.")))
        if line.amount is None:
            errors.append(LineError(line, "amount", _("Give the amount paid, in yuan.")))
        key = comparison_key(line.voucher)
        if not key:
            continue
        first = first_of.setdefault(key, line)
        if first is line:
            continue
        if (first.instalment_id, first.amount, first.paid_on) == (line.instalment_id, line.amount, line.paid_on):
            line.outcome = "repeat"
        else:
            errors.append(
                LineError(
                    line,
                    "voucher",
                    _("Voucher %(voucher)s is also given for %(first)s, for a different payment: a voucher pays once.")
                    % {"voucher": line.voucher, "first": first.where},
                )
            )
    return errors


def payments_record_batch(
    *,
    actor: User,
    payer: Unit,
    lines: list[PaymentLine],
    today: date | None = None,
    dry_run: bool = False,
    contract=None,
) -> BatchOutcome:
    """Record every line, or none: BatchRejected lists each line's problems and nothing is saved. On a dry run
    everything is tried and rolled back, so the outcome says what recording would do now. The lines pay the
    payer's instalments (of `contract` only, when given)."""
    if not (actor.is_authenticated and (actor.role == "admin" or actor.unit_id == payer.pk)):
        raise PermissionDenied(_("Only the paying unit records its payments."))
    if not lines:
        raise BatchRejected([])
    if len(lines) > MAX_LINES:
        raise ValidationError(_("At most %(n)s payments can be recorded at once.") % {"n": f"{MAX_LINES:,}"})
    ids = {line.instalment_id for line in lines if line.instalment_id}
    found = Instalment.objects.filter(pk__in=ids, contract__payer=payer).select_related("contract", "community")
    if contract is not None:
        found = found.filter(contract=contract)
    instalments = {i.pk: i for i in found}
    errors = _check_lines(lines, instalments)
    if errors:
        raise BatchRejected(errors)
    outcome = BatchOutcome(lines=lines)
    try:
        with transaction.atomic():
            # Locked in one order, so that two batches touching the same instalments wait rather than deadlock.
            list(Instalment.objects.select_for_update().filter(pk__in=sorted(instalments)).order_by("pk"))
            for line in lines:
                if line.outcome == "repeat":
                    continue
                try:
                    with transaction.atomic():
                        line.payment, created = services.payment_record(
                            instalment=line.instalment,
                            actor=actor,
                            amount=line.amount,
                            paid_on=line.paid_on,
                            voucher=line.voucher,
                            note=line.note,
                            today=today,
                        )
                    line.outcome = "recorded" if created else "already"
                except ValidationError as exc:
                    errors.extend(_errors_of(line, exc))
                except (services.FundingError, StateConflict) as exc:
                    # a reversed voucher replayed, or a contract that takes no payments (ended, terminated)
                    name = "voucher" if isinstance(exc, services.PaymentReversed) else "instalment"
                    errors.append(LineError(line, name, str(exc)))
                except IntegrityError:  # the database's CHECK: never past what is due, never a voucher twice
                    errors.append(LineError(line, "amount", _("The database refused this payment; nothing was saved.")))
            if errors or dry_run:
                raise _RollBack
    except _RollBack:
        if errors:
            raise BatchRejected(errors) from None
    return outcome


def due_rows(contract) -> list[Instalment]:
    """The instalments of a contract still to be paid, in the order a payer reads them: by due date, community."""
    return list(
        contract.instalments.filter(paid__lt=F("amount"))
        .select_related("community")
        .order_by("due_on", "community__name", "sequence")
    )
