"""Every audited write a request makes names its actor in the trail, whatever happened before it in the request:
savepoints released or rolled back, writes inside a transaction or in autocommit, through the ORM, as raw SQL
with parameters, as raw SQL without them (its own % signs literal) or as executemany; and no actor outlives the
request (audits.middleware: each audited statement carries who acts, for its own transaction). PostgreSQL only:
the trail is written by triggers there."""

from contextlib import nullcontext

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.middleware import AuditMiddleware
from audits.models import AuditEntry
from catalog.models import Unit, User

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail's triggers are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

WRITES = st.sampled_from(["orm", "raw", "raw without parameters", "executemany"])
BLOCKS = st.lists(
    st.tuples(st.sampled_from(["plain", "savepoint kept", "savepoint rolled back"]), WRITES), min_size=1, max_size=6
)


class _RolledBack(Exception):
    pass


def _write(how: str, unit: Unit, name: str) -> None:
    if how == "orm":
        Unit.objects.filter(pk=unit.pk).update(name=name)
        return
    with connection.cursor() as cursor:
        if how == "raw":
            cursor.execute('UPDATE "catalog_unit" SET name = %s WHERE id = %s', [name, unit.pk])
        elif how == "raw without parameters":
            cursor.execute(f"UPDATE \"catalog_unit\" SET name = '{name}' WHERE id = {unit.pk}")
        else:
            cursor.executemany('UPDATE "catalog_unit" SET name = %s WHERE id = %s', [[name, unit.pk]])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=BLOCKS, in_transaction=st.booleans())
def test_every_audited_write_of_a_request_names_its_actor_and_none_outlives_it(blocks, in_transaction):
    city = Unit.objects.get_or_create(kind="city", name="审计市")[0]
    unit = Unit.objects.create(kind="district", name=f"审计区 {Unit.objects.count()}", parent=city)
    user = User.objects.get_or_create(username="auditor-of-writes", defaults={"role": "admin"})[0]
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    kept: list[str] = []

    def view(request):
        with transaction.atomic() if in_transaction else nullcontext():
            for n, (block, how) in enumerate(blocks):
                name = f"审计区{unit.pk} 50% {n}"  # a literal % in the statement without parameters
                if block == "plain":
                    _write(how, unit, name)
                    kept.append(name)
                    continue
                try:
                    with transaction.atomic():
                        _write(how, unit, name)
                        if block == "savepoint rolled back":
                            raise _RolledBack
                    kept.append(name)
                except _RolledBack:
                    pass
        return HttpResponse("ok")

    request = RequestFactory().post("/", REMOTE_ADDR="10.1.2.3")
    request.user = user
    AuditMiddleware(view)(request)
    after = f"审计区{unit.pk} 之后"
    Unit.objects.filter(pk=unit.pk).update(name=after)  # after the request: nobody's

    entries = list(
        AuditEntry.objects.filter(pk__gt=since, object_type="catalog_unit", object_id=str(unit.pk))
        .order_by("pk")
        .values_list("after__name", "actor_id", "actor", "source_ip")
    )
    assert [name for name, *_ in entries] == [*kept, after], (blocks, entries)
    assert all(tuple(who) == (user.pk, user.username, "10.1.2.3") for _name, *who in entries[:-1]), entries
    assert entries[-1][1:] == (None, "", ""), entries[-1]
