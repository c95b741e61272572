from django.db import connection

from . import trail

# Who acts, for the audit triggers: set for the transaction of the statement that carries it (is_local), so it
# cannot outlive the write, be undone by a savepoint's rollback before the write, or reach the next request.
ACTOR_LOCAL = (
    "SELECT set_config('audits.actor_id', %s, true), set_config('audits.actor', %s, true), "
    "set_config('audits.ip', %s, true), set_config('audits.district_id', %s, true)"
)
# For a statement that cannot carry it (executemany, named parameters): set for the session, just before, and
# cleared when the request ends.
ACTOR_SESSION = ACTOR_LOCAL.replace(", true)", ", false)")


class _ActorWithEveryAuditedWrite:
    """On PostgreSQL, every audited write carries who acts in the same round trip, ahead of it (psycopg2 sends
    both statements as one string; the write's own result is the last, as Django reads it). Nothing is kept
    between statements: an earlier setting that a ROLLBACK TO SAVEPOINT undid (a payment's voucher found taken
    by its insert, then the next line of a batch) cannot leave a later write without its actor."""

    def __init__(self, request):
        self.request, self.session_set = request, False

    def __call__(self, execute, sql, params, many, context):
        # A write to a table without the trigger (a kept check, on every check) needs no actor.
        if not trail.audited_write(sql):
            return execute(sql, params, many, context)
        actor = trail.actor_of(self.request)
        values = [
            "" if actor.id is None else str(actor.id),
            actor.name,
            actor.ip,
            "" if actor.district_id is None else str(actor.district_id),
        ]
        if many or isinstance(params, dict):
            context["cursor"].execute(ACTOR_SESSION, values)
            self.session_set = True
            return execute(sql, params, many, context)
        if params is None:  # a statement without parameters: its own % signs are literal
            return execute(f"{ACTOR_LOCAL}; {sql.replace('%', '%%')}", values, many, context)
        return execute(f"{ACTOR_LOCAL}; {sql}", [*values, *params], many, context)


class AuditMiddleware:
    """Binds the request to the trail, and records every permission denial (403)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = trail.bind(request)
        try:
            if connection.vendor != "postgresql":
                response = self.get_response(request)
            else:
                wrapper = _ActorWithEveryAuditedWrite(request)
                with connection.execute_wrapper(wrapper):
                    response = self.get_response(request)
                if wrapper.session_set:
                    with connection.cursor() as cursor:  # a persistent connection must not keep this actor
                        cursor.execute(ACTOR_SESSION, ["", "", "", ""])
            if response.status_code == 403:
                trail.record(
                    action="denied",
                    object_type="request",
                    object_id=request.path[:64],
                    note=f"{request.method} {request.get_full_path()[:500]}",
                    actor=trail.actor_of(request, token=True),
                )
            return response
        finally:
            trail.unbind(token)
