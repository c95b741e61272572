from django.db import connection

from . import trail

SET_ACTOR = (
    "SELECT set_config('audits.actor_id', %s, false), set_config('audits.actor', %s, false), "
    "set_config('audits.ip', %s, false), set_config('audits.district_id', %s, false)"
)


class _ActorBeforeFirstWrite:
    """On PostgreSQL, tell the audit triggers who acts, just before the request's first write."""

    def __init__(self, request):
        self.request, self.done, self.sent = request, False, None

    def __call__(self, execute, sql, params, many, context):
        # A write to a table without the trigger (a kept check, on every check) needs no actor: no round trips.
        if trail.audited_write(sql):
            actor = trail.actor_of(self.request)
            values = [
                "" if actor.id is None else str(actor.id),
                actor.name,
                actor.ip,
                "" if actor.district_id is None else str(actor.district_id),
            ]
            # Sent again whenever it changes (a login changes it mid-request) or a rollback may have undone it.
            if values != self.sent or not context["connection"].in_atomic_block:
                context["cursor"].execute(SET_ACTOR, values)
                self.sent, self.done = values, True
        return execute(sql, params, many, context)


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
                wrapper = _ActorBeforeFirstWrite(request)
                with connection.execute_wrapper(wrapper):
                    response = self.get_response(request)
                if wrapper.done:
                    with connection.cursor() as cursor:  # a persistent connection must not keep this actor
                        cursor.execute(SET_ACTOR, ["", "", "", ""])
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
