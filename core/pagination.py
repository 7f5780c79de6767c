from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

# The name of the window annotation that carries the total row count on every row.
_TOTAL = "marquee_page_total"
_MAX_WINDOW_OFFSET = 2**31


def _positive_int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationError({name: ["A whole number, 1 or more."]})
    return value


class WindowCountPaginator(DjangoPaginator):
    """Django's Paginator, but the page and the total come from one query: the page's
    rows carry ``COUNT(*) OVER ()`` (window functions: MariaDB 10.2+, MySQL 8, SQLite
    3.25+, PostgreSQL), read from the first row. Only an empty page (an empty list, or a
    page past the last) also runs the separate ``COUNT(*)``, to tell the two apart.

    ``object_list`` may also be a page source of its own: an object with
    ``window_page(*, offset, limit) -> (rows, total)`` (total read with the rows, any
    value when there are none), ``count()`` and ``ordered = True``, such as a selector
    running a prepared query (core/queries.py).

    Anything the window cannot count right falls back to Django's two queries: a plain
    list, a DISTINCT or sliced or combined (UNION) query, flat or named values_list rows,
    or a database without window functions.
    """

    def _windowable(self) -> bool:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return False
        query = queryset.query
        return (
            queryset._iterable_class in (ModelIterable, ValuesIterable, ValuesListIterable)
            and not query.distinct
            and not query.is_sliced
            and not query.combinator
            and connections[queryset.db].features.supports_over_clause
        )

    def page(self, number):
        window_page = getattr(self.object_list, "window_page", None)
        if "count" in self.__dict__ or (window_page is None and not self._windowable()):
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            return super().page(number)  # raises PageNotAnInteger
        bottom = (number - 1) * self.per_page
        if number < 1 or bottom > _MAX_WINDOW_OFFSET:
            # Below 1: EmptyPage. Far out: the count answers without sending the database
            # an OFFSET it may not take (SQLite: "datatype mismatch" past 64 bits).
            number = self.validate_number(number)
            return self._get_page([], number, self)
        if window_page is not None:
            rows, total = window_page(offset=bottom, limit=self.per_page)
            if not rows:
                return self._get_page([], self.validate_number(number), self)
            self.__dict__["count"] = total
            return self._get_page(rows, number, self)
        queryset = self.object_list.annotate(**{_TOTAL: Window(Count("*"))})
        rows = list(queryset[bottom : bottom + self.per_page])
        if not rows:
            # Empty: either no rows at all or past the last page; the count decides
            # (the first page of an empty list is allowed, any other is EmptyPage).
            return self._get_page([], self.validate_number(number), self)
        iterable = queryset._iterable_class
        if iterable is ValuesListIterable:
            self.__dict__["count"] = rows[0][-1]
            rows = [row[:-1] for row in rows]
        elif iterable is ValuesIterable:
            self.__dict__["count"] = rows[0][_TOTAL]
            for row in rows:
                del row[_TOTAL]
        else:
            self.__dict__["count"] = getattr(rows[0], _TOTAL)
            for row in rows:
                delattr(row, _TOTAL)
        return self._get_page(rows, number, self)


class StandardPagination(PageNumberPagination):
    """{count, next, previous, results}; clients may ask for up to 100 items a page.

    ``page`` and ``page_size`` must be whole numbers of 1 or more (400 otherwise) rather
    than being silently replaced, so a client's mistake does not go unnoticed; a larger
    page_size is capped at 100; a page past the last one is 404. The page and its total
    count are one query (WindowCountPaginator).
    """

    django_paginator_class = WindowCountPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        value = _positive_int_param(request, self.page_size_query_param)
        if value is None:
            return self.page_size
        return min(value, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        _positive_int_param(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "description": f"Capped at {self.max_page_size}.",
                }
        return parameters
