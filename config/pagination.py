from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """{count, next, previous, results}; clients may ask for up to 100 items a page.

    A ``page_size`` that is not a positive whole number is a 400 rather than being
    silently replaced by the default, so a client's mistake does not go unnoticed.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise ValidationError({self.page_size_query_param: ["A positive whole number."]})
        return min(value, self.max_page_size)
