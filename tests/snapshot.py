"""The tests' demo world, loaded through the services once per run and copied back in for each test after that.

Loading the demo publishes catalogues through the services (and, on PostgreSQL, appends to the audit trail
through its triggers): about 0.6 s a test, paid by thousands of tests. The rows it leaves are copied once and
written back exactly for each later test (same ids, same trail entries, same hashes) with triggers off, so the
copy neither appends to the trail nor runs a rule the first load has already run.

A copy is used only on a database whose starting rows are the ones it was taken from (a transactional test
flushes the tables and recreates content types with other ids); anywhere else the demo is loaded again.
"""

import io

from django.db import connection, transaction


class _Snapshot:
    def __init__(self, base, rows):
        self.base = base  # {table: {pk: row}} before the load
        self.rows = rows  # {table: (columns, [rows])} the load added or changed, with the pks it changed


_snapshots: dict[tuple, _Snapshot] = {}


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


_pks: dict[tuple, str | None] = {}


def _pk(cursor, table):
    key = (connection.vendor, connection.settings_dict["NAME"], table)
    if key not in _pks:
        _pks[key] = connection.introspection.get_primary_key_column(cursor, table)
    return _pks[key]


def _read(tables) -> dict:
    """{table: {pk: row text}}: what each table holds, compared as text so that any column type compares."""
    quote = connection.ops.quote_name
    state = {}
    with connection.cursor() as cursor:
        for table in tables:
            pk = _pk(cursor, table)
            if connection.vendor == "postgresql":
                key = f"{quote(pk)}::text" if pk else f"{quote(table)}::text"
                cursor.execute(f"SELECT {key}, {quote(table)}::text FROM {quote(table)}")
                state[table] = dict(cursor.fetchall())
            else:
                cursor.execute(f"SELECT * FROM {quote(table)}")
                columns = [c[0] for c in cursor.description]
                at = columns.index(pk) if pk in columns else None
                state[table] = {(row[at] if at is not None else row): row for row in cursor.fetchall()}
    return state


def _changed(before: dict, after: dict) -> dict:
    """{table: (pks to write, pks to remove first)} between two states."""
    changes = {}
    for table, rows in after.items():
        old = before.get(table, {})
        written = [pk for pk, row in rows.items() if old.get(pk) != row]
        removed = [pk for pk in old if pk not in rows or old[pk] != rows[pk]]
        if written or removed:
            changes[table] = (written, removed)
    return changes


def _copy_out(table, pks) -> tuple:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        pk = _pk(cursor, table)
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            where = f"{quote(pk)}::text = ANY(%s)" if pk else f"{quote(table)}::text = ANY(%s)"
            query = cursor.mogrify(f"SELECT * FROM {quote(table)} WHERE {where}", [list(map(str, pks))]).decode()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT", buffer)
            cursor.execute(f"SELECT * FROM {quote(table)} LIMIT 0")
            return [c[0] for c in cursor.description], buffer.getvalue()
        cursor.execute(f"SELECT * FROM {quote(table)}")
        columns = [c[0] for c in cursor.description]
        at = columns.index(pk) if pk in columns else None
        wanted = set(pks)
        return columns, [row for row in cursor.fetchall() if (row[at] if at is not None else row) in wanted]


def _write(snapshot: _Snapshot) -> None:
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Triggers off (the trail's and the foreign keys'): the rows are the ones the triggers produced.
            cursor.execute("SET LOCAL session_replication_role = replica")
        for table, (columns, data, removed) in snapshot.rows.items():
            pk = _pk(cursor, table)
            if removed:
                if not pk:
                    raise RuntimeError(f"the demo changed rows of {table}, which has no primary key")
                marks = ", ".join(["%s"] * len(removed))
                if connection.vendor == "postgresql":
                    cursor.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)}::text IN ({marks})", removed)
                else:
                    cursor.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)} IN ({marks})", removed)
            names = ", ".join(quote(c) for c in columns)
            if connection.vendor == "postgresql":
                cursor.cursor.copy_expert(f"COPY {quote(table)} ({names}) FROM STDIN", io.StringIO(data))
            elif data:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", data)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def load_demo_world(*, extras: bool = False) -> None:
    """The demo world (`load_demo(extras=...)`), from the copy when this database starts where the copy did."""
    from catalog.demo import load_demo

    key = (connection.vendor, connection.settings_dict["NAME"], extras)
    tables = _tables()
    base = _read(tables)
    snapshot = _snapshots.get(key)
    if snapshot is not None and snapshot.base == base:
        _write(snapshot)
        return
    load_demo(extras=extras)
    changes = _changed(base, _read(tables))
    rows = {}
    for table, (written, removed) in changes.items():
        columns, data = _copy_out(table, written)
        rows[table] = (columns, data, removed)
    _snapshots[key] = _Snapshot(base, rows)
