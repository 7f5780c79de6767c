"""Every answer the test suite gets from the API, checked against the published schema
(/api/schema/) with openapi-core, as a validating generated client would check it: the
status is documented for the operation, the body matches its schema (types, required
fields, enums, nullability under OpenAPI 3.0), the declared headers are there.

Recorded in the request handler (``BaseHandler.get_response``), so the API test client,
Django's client and the live servers of the browser tests all count; checked at once,
with the test that made the request named; reported, and the run failed, at the end
(conftest.py). Bad requests are part of the suite on purpose: only answers are checked,
and only JSON answers under /api/ (the schema, Swagger UI and ReDoc are pages).
"""

import functools
import os
import threading
from dataclasses import dataclass

from django.core.handlers.base import BaseHandler

SKIPPED_PATHS = ("/api/schema/", "/api/docs/", "/api/redoc/")


@dataclass(frozen=True)
class Drift:
    test: str
    method: str
    path: str
    status: int
    problem: str

    def __str__(self):
        return f"{self.method} {self.path} -> {self.status}: {self.problem}  [{self.test}]"


class ContractRecorder:
    def __init__(self):
        self.drifts: list[Drift] = []
        self.checked = 0
        self._api = None
        self._lock = threading.Lock()
        self._schema_lock = threading.Lock()
        self._original = None

    def _openapi(self):
        # Built once, by the first thread that needs it: threads of a race test all ask
        # at once, and a half-built schema is no contract.
        with self._schema_lock:
            if self._api is None:
                from drf_spectacular.generators import SchemaGenerator
                from openapi_core import OpenAPI

                schema = SchemaGenerator().get_schema(request=None, public=True)
                self._api = OpenAPI.from_dict(_plain(schema))
        return self._api

    def check(self, request, response) -> None:
        path = request.path
        if not path.startswith("/api/") or path.startswith(SKIPPED_PATHS):
            return
        if getattr(response, "streaming", False):
            return
        if not response.get("Content-Type", "").startswith("application/json"):
            return
        from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
        from openapi_core.templating.paths.exceptions import (
            OperationNotFound,
            PathNotFound,
        )

        try:
            result = self._openapi().unmarshal_response(
                DjangoOpenAPIRequest(request), DjangoOpenAPIResponse(response)
            )
            errors = result.errors
        except Exception as exc:
            errors = [exc]
        # Not an operation of the contract (a method the path does not have, a path that
        # does not exist): no client generated from the schema calls it, and its JSON
        # 404/405 is the handler's, tested where it is made.
        errors = [e for e in errors if not isinstance(e, PathNotFound | OperationNotFound)]
        with self._lock:
            self.checked += 1
            for error in errors:
                self.drifts.append(
                    Drift(
                        test=os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0],
                        method=request.method,
                        path=request.get_full_path(),
                        status=response.status_code,
                        problem=_describe(error),
                    )
                )

    def install(self) -> None:
        original = BaseHandler.get_response
        self._original = original
        recorder = self

        @functools.wraps(original)
        def get_response(handler, request):
            response = original(handler, request)
            recorder.check(request, response)
            return response

        BaseHandler.get_response = get_response

    def uninstall(self) -> None:
        if self._original is not None:
            BaseHandler.get_response = self._original


def _describe(error) -> str:
    causes = getattr(error, "schema_errors", None) or getattr(error, "__cause__", None)
    text = f"{type(error).__name__}: {error}"
    if causes:
        if isinstance(causes, list | tuple):
            text += (
                " ("
                + "; ".join(
                    str(cause.message if hasattr(cause, "message") else cause)[:200]
                    for cause in causes
                )
                + ")"
            )
        else:
            text += f" ({str(getattr(causes, 'schema_errors', causes))[:300]})"
    return text[:600]


def _plain(value):
    """The generated schema as plain JSON types (lazy strings, tuples...)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
