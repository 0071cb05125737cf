"""A transition's row updates without the unit of work: one Core UPDATE of each changed row's
changed columns.

The engine and its handlers change ORM objects (the request; a consultation), and callers read the
request after ``perform``. Instead of the session's flush (sorting, diffing and building an UPDATE
each time), ``write_dirty`` sends, for each changed object, its changed columns in one UPDATE built
once per table (its SET clause compiled once per set of columns) on the transaction's connection,
and marks the object saved, so the commit's flush has nothing of it left to write. A column counts
as changed as the ORM counts it: set since it was loaded, to a value not equal to the loaded one.
Objects the ORM must write itself (new ones, changed relationships, a key other than ``id``) are
left to the flush, as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, Update, bindparam, inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

_KEY = "rowwrite_id"


@cache
def _plan(mapper: Mapper[Any]) -> tuple[frozenset[str], Update] | None:
    """(the attribute keys that are plain columns, the prebuilt UPDATE) of a mapped class, or None
    where the flush must write it (a key other than one ``id`` column, columns under other names)."""
    table = mapper.local_table
    if not isinstance(table, Table) or [c.key for c in mapper.primary_key] != ["id"]:
        return None
    keys = frozenset(mapper.column_attrs.keys())
    if any(prop.columns[0].key != prop.key for prop in mapper.column_attrs):
        return None
    return keys, table.update().where(table.c.id == bindparam(_KEY))


def write(session: Session, obj: object) -> None:
    """Write ``obj``'s changed columns with one UPDATE in the session's transaction (nothing when
    nothing changed); the object is then clean in the session, its values as written."""
    state = inspect(obj)
    committed = state.committed_state
    plan = _plan(state.mapper)
    if not committed or plan is None or state.key is None or state.session is not session:
        return
    columns, update = plan
    if not set(committed) <= columns:
        return  # something the flush must write (a relationship): left to it, as before
    values = state.dict
    changed: dict[str, Any] = {
        key: values[key]
        for key, old in committed.items()
        if key in values and (old is NO_VALUE or not _equal(values[key], old))
    }
    if changed:
        result = session.connection().execute(update, {**changed, _KEY: state.key[1][0]})
        if result.rowcount != 1:
            raise StaleDataError(f"{state.mapper.local_table}: the UPDATE matched {result.rowcount} rows")
    # Saved: no history left for the flush (SQLAlchemy's public ``set_committed_value`` clears each
    # attribute's history; once none is left the object is clean in the session).
    for key in list(committed):
        set_committed_value(obj, key, values.get(key))


def write_dirty(session: Session) -> None:
    """``write`` every changed persistent object of the session."""
    for obj in list(session.dirty):
        write(session, obj)


def _equal(new: Any, old: Any) -> bool:
    try:
        return bool(new == old)
    except Exception:  # values that do not compare: written
        return False
