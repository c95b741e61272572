"""The state machines of 费随事转: what may happen to a contract and to a payment, from which state. Services run
every change through them (locked, checked, recorded with who/when/why); pages and the API offer what they say."""

from django.utils.translation import gettext_lazy as _

from catalog.transitions import StateMachine, Transition

from .choices import ContractState as C
from .choices import PaymentState as P
from .models import Contract, Payment

CONTRACT = StateMachine(
    Contract,
    {
        "sign": Transition({C.DRAFT}, C.SIGNED, _("Record the signature")),
        # On the first day of the period (at once, when signed after it began).
        "activate": Transition({C.SIGNED}, C.IN_FORCE, _("Bring into force")),
        # After the period, once every instalment is paid.
        "complete": Transition({C.IN_FORCE}, C.COMPLETED, _("Complete")),
        "terminate": Transition(
            {C.DRAFT, C.SIGNED, C.IN_FORCE},
            C.TERMINATED,
            _("Terminate the contract"),
            confirm=_("Terminate this contract? No further payment can be recorded on it; this cannot be undone."),
        ),
    },
)

# The actions a person takes on a page; activation and completion are the scheduled job's.
BY_HAND = ("sign", "terminate")

# States in which a contract can still be amended and paid (not transitions: the state does not change).
AMENDABLE = frozenset({C.DRAFT, C.SIGNED, C.IN_FORCE})
PAYABLE = frozenset({C.SIGNED, C.IN_FORCE})

PAYMENT = StateMachine(
    Payment,
    {
        "reverse": Transition(
            {P.RECORDED},
            P.REVERSED,
            _("Reverse"),
            confirm=_("Reverse this payment with a counter-entry? The original stays in the books."),
        ),
    },
)
