"""Querysets compiled once and run many times: the one helper for prepared SQL.

Building a query with the ORM (resolving lookups, joins and expressions into SQL) costs
more on the hot paths than the database's answer does (docs/performance.md). A
``PreparedQuery`` compiles its queryset once per database alias, keeps the SQL and
Django's converters for the selected columns, and runs it again with new values. The
queryset stays the one source of truth: no table or column name is written by hand, and
each row comes back converted exactly as the ORM converts it. ``PreparedUpdate`` does
the same for a queryset's ``update()``, ``PreparedInsert`` for inserting rows through
Django's own insert compiler.

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
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Expression, Field, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery

_PLAIN_FIELD = Field()


# Django's fields whose preparation gives back a value of these types unchanged (it only
# converts other types: int("5"), str(x)). Exact classes: a subclass may prepare more.
_INTEGERS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)
_TAKEN_AS_THEY_ARE = {
    **dict.fromkeys(_INTEGERS, (int, type(None))),
    **dict.fromkeys((models.CharField, models.TextField, models.SlugField), (str, type(None))),
    models.BooleanField: (bool, type(None)),
}


def _taken_as_they_are(field: Field) -> tuple[type, ...]:
    if type(field) is models.ForeignKey:
        field = field.target_field
    return _TAKEN_AS_THEY_ARE.get(type(field), ())


class _Slot:
    """Where a value goes in the compiled SQL's parameters, and how the field that takes
    it prepares it (as a lookup's value, or as a value saved to the field). A value of a
    type the field takes as it is (an int for an integer column or a foreign key to one,
    a str for text) skips the field's preparation, which would give it back unchanged."""

    __slots__ = ("as_is", "field", "index", "name", "save")

    def __init__(self, name: str, index: int | None, field: Field, *, save: bool = False):
        self.name, self.index, self.field, self.save = name, index, field, save
        self.as_is = () if field is _PLAIN_FIELD else _taken_as_they_are(field)

    def prepare(self, values: dict, connection):
        value = values[self.name]
        if self.index is not None:
            value = value[self.index]
        if self.field is _PLAIN_FIELD or type(value) in self.as_is:
            return value  # nothing to prepare: the driver takes it as it is
        if self.save:
            return self.field.get_db_prep_save(value, connection)
        return self.field.get_db_prep_value(value, connection, prepared=False)


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


class _SavedValue(Expression):
    """The value a row being inserted gives ``field``, given when the insert runs."""

    def __init__(self, field: Field, index: int):
        super().__init__(output_field=field)
        self.index = index

    def as_sql(self, compiler, connection):
        field = self.output_field
        return "%s", [_Slot(field.attname, self.index, field, save=True)]


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


def _bind(params: Sequence, values: dict[str, Any], connection) -> list:
    return [
        param.prepare(values, connection) if isinstance(param, _Slot) else param for param in params
    ]


def _list_key(using: str, values: dict[str, Any]) -> tuple:
    return (
        using,
        *sorted(
            (name, len(value)) for name, value in values.items() if isinstance(value, list | tuple)
        ),
    )


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
        return _bind(self.params, values, connection)

    def convert(self, rows: Sequence[tuple], connection) -> list[tuple]:
        if self.truncate:
            rows = [row[: self.col_count] for row in rows]
        if not self.converters:
            return list(rows)  # the drivers' rows are tuples already
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

    def rows(
        self, *, using: str = DEFAULT_DB_ALIAS, lock_wait: int | None = None, **values
    ) -> list[tuple]:
        """The rows for these values. ``lock_wait`` bounds a ``select_for_update()``
        query's wait for its row locks to that many whole seconds where the database
        can say so per statement (``bounded_lock``)."""
        if not settings.PREPARED_QUERIES:
            return self._orm_rows(using, values)
        connection = connections[using]
        key = _list_key(using, values)
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset = self._build(_Placeholders(values))
            compiled = self._compiled[key] = _Compiled(queryset, connection, paged=self._paged)
        sql = (
            compiled.sql if lock_wait is None else bounded_lock(compiled.sql, connection, lock_wait)
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, compiled.bind(values, connection))
            rows = cursor.fetchall()
        return compiled.convert(rows, connection)


def bounded_lock(sql: str, connection, wait: int) -> str:
    """A ``... FOR UPDATE`` statement that waits at most ``wait`` whole seconds for its
    locks: MariaDB's ``WAIT n`` (``WAIT 0`` fails at once), MySQL 8's ``NOWAIT`` for 0
    (otherwise its ``innodb_lock_wait_timeout`` applies). Elsewhere (SQLite locks the
    whole database, there is no row lock to wait for) the statement stays as it is."""
    if connection.vendor != "mysql" or not sql.endswith(" FOR UPDATE"):
        return sql
    if connection.mysql_is_mariadb:
        return f"{sql} WAIT {int(wait)}"
    return f"{sql} NOWAIT" if wait <= 0 else sql


def model_from_row(model, using: str, values: dict[str, Any]):
    """An instance of ``model`` loaded from the database with these ``{attname: value}``
    (the others deferred), as the ORM builds one (``Model.from_db``, which wants the
    values in the model's field order)."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(using, names, [values[name] for name in names])


class PreparedUpdate:
    """A queryset's ``update(**changes)``, both built by ``build(p)`` (which returns
    ``(queryset, changes)``), compiled once per database alias, run with
    ``execute(**values)``; returns the number of rows updated."""

    def __init__(self, name: str, build: Callable[[_Placeholders], tuple[QuerySet, dict]]):
        self.name = name
        self._build = build
        self._compiled: dict[tuple, tuple[str, tuple]] = {}

    def __repr__(self) -> str:
        return f"<PreparedUpdate {self.name}>"

    def execute(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> int:
        if not settings.PREPARED_QUERIES:
            queryset, changes = self._build(_Values(values))
            return queryset.using(using).update(**changes)
        connection = connections[using]
        key = _list_key(using, values)
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset, changes = self._build(_Placeholders(values))
            query = queryset.query.chain(UpdateQuery)
            query.add_update_values(changes)
            compiled = self._compiled[key] = query.get_compiler(connection=connection).as_sql()
        sql, params = compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, _bind(params, values, connection))
            return cursor.rowcount


class PreparedInsert:
    """Rows of ``model`` inserted with one INSERT that Django's own insert compiler
    builds, compiled once per database alias and number of rows. ``execute(rows)``
    takes ``{attname: value}`` per row (the given ``fields``; no defaults, no
    ``auto_now``: give every value) and returns the new primary keys in row order,
    None for each where the database cannot return them (a multi-row insert on MySQL;
    MariaDB and SQLite can)."""

    def __init__(self, model, fields: Sequence[str]):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self._compiled: dict[tuple, tuple] = {}

    def __repr__(self) -> str:
        return f"<PreparedInsert {self.model._meta.label}>"

    def _orm_insert(self, rows: list[dict], using: str) -> list:
        # PREPARED_QUERIES=0: what Model.save() (raw: the given values) and bulk_create do.
        objs = [self.model(**row) for row in rows]
        if len(objs) == 1:
            objs[0].save_base(raw=True, force_insert=True, using=using)
        else:
            self.model.objects.using(using).bulk_create(objs)
        return [obj.pk for obj in objs]

    def _compile(self, connection, count: int) -> tuple:
        features = connection.features
        returning = features.can_return_columns_from_insert and (
            count == 1 or features.can_return_rows_from_bulk_insert
        )
        query = InsertQuery(self.model)
        objs = [
            self.model(**{field.attname: _SavedValue(field, i) for field in self.fields})
            for i in range(count)
        ]
        # raw: the given values as they are (no pre_save, so no auto_now to override them).
        query.insert_values(self.fields, objs, raw=True)
        compiler = query.get_compiler(connection=connection)
        if returning:
            compiler.returning_fields = [self.model._meta.pk]
            mode = "rows" if count > 1 else "columns"
        else:
            mode = "last_id" if count == 1 else None
        return compiler.as_sql(), mode, compiler.returning_params

    def execute(self, rows: list[dict], *, using: str = DEFAULT_DB_ALIAS) -> list:
        if not settings.PREPARED_QUERIES:
            return self._orm_insert(rows, using)
        connection = connections[using]
        key = (using, len(rows))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(connection, len(rows))
        statements, mode, returning_params = compiled
        values = {field.attname: [row[field.attname] for row in rows] for field in self.fields}
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, _bind(params, values, connection))
            if mode == "rows":
                return [row[0] for row in connection.ops.fetch_returned_insert_rows(cursor)]
            if mode == "columns":
                return [connection.ops.fetch_returned_insert_columns(cursor, returning_params)[0]]
            if mode == "last_id":
                pk = self.model._meta.pk
                return [connection.ops.last_insert_id(cursor, self.model._meta.db_table, pk.column)]
        return [None] * len(rows)
