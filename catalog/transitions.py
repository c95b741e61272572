"""One way to change state, for every stateful model: a transition table, the row locked, the state checked,
saved and an event recorded in one transaction (the shape approvals had first; pretix's guarded services).

    CONTRACT = StateMachine(Contract, {
        "sign": Transition({S.DRAFT}, S.SIGNED, _("Sign")),
        ...
    })

    with transaction.atomic():
        contract = CONTRACT.begin(contract, "sign")      # locked; StateConflict (409) if not from DRAFT
        contract.signed_at = ...
        CONTRACT.finish(contract, "sign", actor=user, note="...")

Pages and the API ask the same table which actions an object offers now (`CONTRACT.actions(obj)`), so views
and templates never restate the state machine.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _

from .models import StateEvent


class StateConflict(Exception):
    """The object is not (any more) in a state this action may start from: someone acted first, or the action
    does not apply. The API answers 409 Conflict with this message; pages show it."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    label: str  # what the button says, in the active language
    confirm: str = ""  # the question asked before an irreversible step; empty = no confirmation needed

    def __init__(self, sources, target, label, confirm=""):
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "confirm", confirm)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    confirm: str


class StateMachine:
    def __init__(self, model: type[models.Model], transitions: dict[str, Transition], *, field: str = "state"):
        self.model = model
        self.transitions = transitions
        self.field = field

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def can(self, obj, action: str) -> bool:
        return getattr(obj, self.field) in self.transitions[action].sources

    def actions(self, obj) -> list[Action]:
        """The actions the object's current state offers, in the table's order (permission is the caller's)."""
        state = getattr(obj, self.field)
        return [
            Action(name, str(t.label), str(t.confirm)) for name, t in self.transitions.items() if state in t.sources
        ]

    def _state_label(self, state) -> str:
        choices = dict(self.model._meta.get_field(self.field).flatchoices)
        return str(choices.get(state, state))

    def begin(self, obj, action: str):
        """Lock the row and check that `action` may start from its current state (inside transaction.atomic)."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("StateMachine.begin() must run inside transaction.atomic()")
        locked = self.model._default_manager.select_for_update().get(pk=obj.pk)
        state = getattr(locked, self.field)
        if state not in self.transitions[action].sources:
            raise StateConflict(
                _("%(object)s is already “%(state)s”: “%(action)s” is not possible any more.")
                % {
                    "object": f"{self.model._meta.verbose_name} #{locked.pk}",
                    "state": self._state_label(state),
                    "action": self.transitions[action].label,
                }
            )
        return locked

    def finish(self, obj, action: str, *, actor=None, note: str = "", update_fields: list[str] | None = None):
        """Move the locked object to the action's target state, save it and record who, when and why."""
        from_state = getattr(obj, self.field)
        setattr(obj, self.field, self.transitions[action].target)
        if update_fields is not None:
            update_fields = [*update_fields, self.field]
        obj.save(update_fields=update_fields)
        StateEvent.objects.create(
            content_type=ContentType.objects.get_for_model(self.model),
            object_id=obj.pk,
            action=action,
            from_state=from_state,
            to_state=getattr(obj, self.field),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            note=note,
        )
        return obj

    def history(self, obj):
        return StateEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(self.model), object_id=obj.pk
        ).select_related("actor")
