"""API token authentication that honours the two-factor requirement and tokens' end (kept apart from the views:
DRF imports authentication classes while it is still loading its own views)."""

import functools

from django.conf import settings
from django.db import connections, router
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import authentication, exceptions


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@functools.cache
def _token_select(token_model, db: str) -> tuple[str, list[tuple]]:
    """The one SELECT of a token with its user, the user's unit and its last use, written once per process from
    the models' own fields (the ORM would compile it anew on every request: about 0.9 ms of CPU against 0.06 ms
    for the query itself), and for each model in the order of its columns: its field names, where its primary
    key is among them, and the converters the ORM would apply to each column (SQLite's dates and times, say:
    without them a raw row holds text or a naive time)."""
    from config.models import TokenUse

    user_model = token_model._meta.get_field("user").related_model
    unit_model = user_model._meta.get_field("unit").related_model
    connection = connections[db]
    quote = connection.ops.quote_name
    parts = [(token_model, "t"), (user_model, "u"), (unit_model, "n"), (TokenUse, "s")]
    columns = ", ".join(f"{alias}.{quote(f.column)}" for model, alias in parts for f in model._meta.concrete_fields)

    def table(model):
        return quote(model._meta.db_table)

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    sql = (
        f"SELECT {columns} FROM {table(token_model)} t "
        f"JOIN {table(user_model)} u ON u.{column(user_model, 'id')} = t.{column(token_model, 'user')} "
        f"LEFT JOIN {table(unit_model)} n ON n.{column(unit_model, 'id')} = u.{column(user_model, 'unit')} "
        f"LEFT JOIN {table(TokenUse)} s ON s.{column(TokenUse, 'token')} = t.{column(token_model, 'key')} "
        f"WHERE t.{column(token_model, 'key')} = %s"
    )
    layout = []
    for model, alias in parts:
        fields = model._meta.concrete_fields
        converting = []
        for at, field in enumerate(fields):
            col = field.get_col(alias)
            if converters := connection.ops.get_db_converters(col) + col.get_db_converters(connection):
                converting.append((at, col, converters))
        layout.append((model, [f.attname for f in fields], fields.index(model._meta.pk), converting))
    return sql, layout


def token_with_user(token_model, key: str):
    """The token of `key` (or None) with its user, the user's unit and its last use, in one query; the same
    objects select_related("user__unit", "use") would give (the ORM's own from_db builds them)."""
    db = router.db_for_read(token_model)
    sql, layout = _token_select(token_model, db)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    built, start = [], 0
    for model, names, pk_at, converting in layout:
        values = list(row[start : start + len(names)])
        start += len(names)
        if values[pk_at] is None:
            built.append(None)
            continue
        for at, col, converters in converting:  # as the ORM's compiler applies them
            for convert in converters:
                values[at] = convert(values[at], col, connection)
        built.append(model.from_db(db, names, values))
    token, user, unit, use = built
    if user.unit_id is not None:
        user.unit = unit
    token.user = user
    if use is not None:
        token.use = use  # a token not used yet has no row: its first use reads it once, then records it
    return token


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a token that has ended (config.tokens: unused for too long, or
    issued under an earlier password), and the token of a role that must use two-factor authentication but has no
    device (a token issued before the requirement was set)."""

    def authenticate(self, request):
        """Once per request: the audit middleware reads the token's user before the view (for the trail's actor),
        and the view's authentication asks again; the second time takes the first answer (or raises the
        same refusal)."""
        raw = getattr(request, "_request", request)  # DRF's Request or Django's HttpRequest: the same one
        header = authentication.get_authorization_header(request)
        known = getattr(raw, "_token_authenticated", None)
        if known is not None and known[0] == header:
            if isinstance(known[1], exceptions.AuthenticationFailed):
                raise known[1]  # the same refusal (an ended token is deleted by the first: its reason stays)
            return known[1]
        try:
            found = super().authenticate(request)
        except exceptions.AuthenticationFailed as refusal:
            raw._token_authenticated = (header, refusal)
            raise
        raw._token_authenticated = (header, found)
        return found

    def authenticate_credentials(self, key):
        from .tokens import token_used, why_ended

        model = self.get_model()
        # One query, as DRF's own: the token, its user, the user's unit (every scope and the trail's actor read
        # it) and its last use.
        token = token_with_user(model, key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        ended = why_ended(token)
        if ended:
            token.delete()
            raise exceptions.AuthenticationFailed(ended)
        user = token.user
        if user.role in settings.TWO_FACTOR_REQUIRED_ROLES and confirmed_device(user) is None:
            raise exceptions.AuthenticationFailed(_("Set up two-factor authentication in the web application first."))
        token_used(token)
        return user, token
