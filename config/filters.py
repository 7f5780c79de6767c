from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` with the primary key as the last sort key, so rows that tie on the
    requested field (movies released on one day) keep one order from page to page."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            return [*ordering, "id"]
        return ordering
