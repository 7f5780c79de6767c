from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


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


class StandardPagination(PageNumberPagination):
    """{count, next, previous, results}; clients may ask for up to 100 items a page.

    ``page`` and ``page_size`` must be whole numbers of 1 or more (400 otherwise) rather
    than being silently replaced, so a client's mistake does not go unnoticed; a larger
    page_size is capped at 100; a page past the last one is 404.
    """

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
