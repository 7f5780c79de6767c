import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from core.limits import MAX_ID

EMPTY_VALUE = "Give a value or leave the parameter out."


class NoEmptyValuesFilterSet(django_filters.FilterSet):
    """A filter parameter given with an empty value (``?date=``) is a 400, not silently
    "no filter": the client most likely meant something and should hear about it."""

    def is_valid(self):
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and not str(self.data.get(name, "")).strip():
                self.form.add_error(name, EMPTY_VALUE)
                valid = False
        return valid


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1})
class IdFilter(django_filters.NumberFilter):
    """An object's id in a query (``?showtime=12``): a whole number, 1 or more; anything
    else is a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` with one of the view's ``ordering_fields`` (or ``-field``) and the
    primary key as the last sort key, so rows that tie on the requested field (movies
    released on one day) keep one order from page to page.

    Anything else, an unknown field, several fields or an empty value, is a 400 naming
    ``ordering`` and the values it takes, as the schema's enum states: a client that
    asked for an order and silently got another would show it wrong.
    """

    def allowed(self, view) -> list[str]:
        fields = getattr(view, "ordering_fields", None) or []
        return [term for field in fields for term in (field, f"-{field}")]

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        allowed = self.allowed(view)
        if allowed and raw is not None and raw.strip() not in allowed:
            raise ValidationError({self.ordering_param: [f"Give one of: {', '.join(allowed)}."]})
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            return [*ordering, "id"]
        return ordering

    def get_schema_operation_parameters(self, view):
        if not self.allowed(view):
            return super().get_schema_operation_parameters(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field; `-` first for descending.",
                "schema": {
                    "type": "string",
                    "enum": self.allowed(view),
                    # Names for generated clients: TITLE, TITLE_DESC...
                    "x-enum-varnames": [
                        term.lstrip("-").upper() + ("_DESC" if term.startswith("-") else "")
                        for term in self.allowed(view)
                    ],
                },
            }
        ]
