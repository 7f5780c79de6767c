"""Querysets compiled once and run many times: the one helper for prepared SQL.

Building a query with the ORM (resolving lookups, joins and expressions into SQL) costs
more on the hot paths than the database's answer does (docs/performance.md). A
``PreparedQuery`` compiles its queryset once per database alias, keeps the SQL and
Django's converters for the selected columns, and runs it again with new values. The
queryset stays the one source of truth: no table or column name is written by hand, and
each row comes back converted exactly as the ORM converts it.

    seats = PreparedQuery(
        "seats",
        lambda p: Seat.objects.filter(hall_id=p("hall"), pk__in=p.list("ids"))
        .values_list("id", "row"),
    )
    seats.rows(hall=3, ids=[7, 8])       # [(7, "A"), (8, "A")]
    seats.queryset(hall=3, ids=[7, 8])   # the same queryset, for the ORM to run

``p(name)`` stands for one value, ``p.list(name)`` for a list (compiled once per
length), ``p(name, field)`` prepares the value with a model field (e.g. a
``DateTimeField`` for an aware datetime), as Django prepares a lookup's value. With
``paged=True`` the SQL ends in ``LIMIT %s OFFSET %s`` and ``rows()`` takes ``limit`` and
``offset``. A ``select_for_update()`` queryset must first run inside a transaction, as
the ORM demands. With the setting ``PREPARED_QUERIES`` off the ORM builds each query
every time, as it would without this helper (to measure what it saves).
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Expression, Field, QuerySet

_PLAIN_FIELD = Field()


class _Slot:
    """Where a value goes in the compiled SQL's parameters."""

    __slots__ = ("field", "index", "name")

    def __init__(self, name: str, index: int | None, field: Field):
        self.name, self.index, self.field = name, index, field


class Param(Expression):
    """One value, given when the query runs."""

    def __init__(self, name: str, field: Field | None = None):
        super().__init__(output_field=field or _PLAIN_FIELD)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name, None, self.output_field)]


class ParamList(Expression):
    """``size`` values (for ``__in``), given as one list when the query runs."""

    def __init__(self, name: str, size: int, field: Field | None = None):
        super().__init__(output_field=field or _PLAIN_FIELD)
        self.name, self.size = name, size

    def as_sql(self, compiler, connection):
        slots = [_Slot(self.name, i, self.output_field) for i in range(self.size)]
        return ", ".join(["%s"] * self.size), slots


class _Placeholders:
    """What the query's builder gets when compiling: parameters, not values."""

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __call__(self, name: str, field: Field | None = None) -> Param:
        return Param(name, field)

    def list(self, name: str, field: Field | None = None) -> ParamList:
        return ParamList(name, len(self._values[name]), field)


class _Values(_Placeholders):
    """What the builder gets for a plain queryset: the values themselves."""

    def __call__(self, name: str, field: Field | None = None):
        return self._values[name]

    def list(self, name: str, field: Field | None = None) -> list:
        return list(self._values[name])


class _Compiled:
    __slots__ = ("col_count", "converters", "params", "sql", "truncate")

    def __init__(self, queryset: QuerySet, connection, *, paged: bool):
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if paged:
            sql += " LIMIT %s OFFSET %s"
            params = (*params, _Slot("limit", None, _PLAIN_FIELD))
            params = (*params, _Slot("offset", None, _PLAIN_FIELD))
        self.sql = sql
        self.params = tuple(params)
        self.col_count = compiler.col_count
        # Columns the compiler added for its own use (ordering) are cut off, as the ORM does.
        self.truncate = compiler.has_extra_select
        self.converters = list(
            compiler.get_converters([column for column, _, _ in compiler.select]).items()
        )

    def bind(self, values: dict[str, Any], connection) -> list:
        params = []
        for param in self.params:
            if isinstance(param, _Slot):
                value = values[param.name]
                if param.index is not None:
                    value = value[param.index]
                param = param.field.get_db_prep_value(value, connection, prepared=False)
            params.append(param)
        return params

    def convert(self, rows: Sequence[tuple], connection) -> list[tuple]:
        if self.truncate:
            rows = [row[: self.col_count] for row in rows]
        if not self.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in self.converters:
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


class PreparedQuery:
    """A ``values_list`` queryset built by ``build(p)``, compiled once per database
    alias (and per length of each list value), run with ``rows(**values)``."""

    def __init__(self, name: str, build: Callable[[_Placeholders], QuerySet], *, paged=False):
        self.name = name
        self._build = build
        self._paged = paged
        self._compiled: dict[tuple, _Compiled] = {}

    def __repr__(self) -> str:
        return f"<PreparedQuery {self.name}>"

    def queryset(self, **values) -> QuerySet:
        """The same query as a plain queryset with these values (no LIMIT/OFFSET)."""
        return self._build(_Values(values))

    def _orm_rows(self, using: str, values: dict) -> list[tuple]:
        # PREPARED_QUERIES=0: the ORM builds the query every time (to measure the gain).
        queryset = self.queryset(**values).using(using)
        if self._paged:
            queryset = queryset[values["offset"] : values["offset"] + values["limit"]]
        return [tuple(row) for row in queryset]

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> list[tuple]:
        if not settings.PREPARED_QUERIES:
            return self._orm_rows(using, values)
        connection = connections[using]
        key = (
            using,
            *sorted(
                (name, len(value))
                for name, value in values.items()
                if isinstance(value, list | tuple)
            ),
        )
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset = self._build(_Placeholders(values))
            compiled = self._compiled[key] = _Compiled(queryset, connection, paged=self._paged)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.bind(values, connection))
            rows = cursor.fetchall()
        return compiled.convert(rows, connection)
