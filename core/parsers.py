"""The API's JSON parser: DRF's, with a bound on nesting.

Python's json module recurses once per nesting level, so a 2 KB body of about a thousand
nested brackets raised RecursionError (a 500) on any JSON endpoint, the anonymous login
included. No Marquee request nests more than a few levels; anything deeper than
MAX_JSON_DEPTH is refused with 400 ``json_too_deep`` before any view sees it.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


class JSONTooDeep(ParseError):
    default_detail = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
    default_code = "json_too_deep"


def json_depth_exceeds(value, limit: int) -> bool:
    """True when ``value`` nests lists/objects more than ``limit`` levels; iterative, so
    it cannot itself run out of stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise JSONTooDeep() from None
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise JSONTooDeep()
        return data
