"""The reviewer's queue, kept: a committee office asks for its list of applications far more often than anyone
changes one. The brief list (`?brief=1`) of the API is kept under a generation of its own, which every committed
write to an application, its scope, its batch, its ballots or the organisation tree moves on
(catalog.answers.Generation), so that a reviewer never sees a queue older than the last commit.

An answer depends on who asks only through their role and unit (applications_visible_to, `?mine=1`), and on
the request's language (the states in words) and address (the page links): those make its key, with every value
of every parameter. Only a request made of the list's own parameters is kept; anything else is computed.
"""

from django.utils.translation import get_language

from catalog.answers import Generation, params_digest

QUEUE = Generation("applications:generation", primary_model="approvals.Application")
# Correctness comes from the generation; the time bounds memory, and how long other processes could answer from
# a generation that one process failed to move on (the cache refusing that one write: it retries).
QUEUE_TTL = 300
KNOWN = frozenset(
    {"brief", "cursor", "page_size", "mine", "queue", "state", "is_urgent", "batch", "requested_list", "search"}
)


def kept_briefs(*, user, params, url: str, compute):
    """The brief list `user` asked for at `url` (scheme, host and path: the page links are made of them) with
    `params`, as kept under the queue's generation, or `compute()`'s (kept for the next asker with the same role
    and unit)."""
    if not set(params) <= KNOWN:
        return compute()
    parts = f"{get_language()}:{user.role}:{user.unit_id or ''}:{params_digest(params, url)}"
    return QUEUE.answer("briefs", parts, compute, QUEUE_TTL)


def retire_on_writes() -> None:
    from catalog.models import Unit

    from .models import Application, Ballot, Batch

    QUEUE.retire_on(Application, Ballot, Batch, Unit)
