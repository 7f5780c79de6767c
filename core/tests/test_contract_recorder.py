"""The recorder that checks every answer of the suite against /api/schema/
(testsupport/contract.py) sees a drift when there is one, and only then."""

from django.http import JsonResponse
from django.test import RequestFactory

from testsupport.contract import ContractRecorder


def _movie_list(body):
    request = RequestFactory().get("/api/movies/")
    return request, JsonResponse(body)


def test_recorder_passes_an_answer_as_published(db):
    recorder = ContractRecorder()
    recorder.check(*_movie_list({"count": 0, "next": None, "previous": None, "results": []}))
    assert recorder.checked == 1
    assert recorder.drifts == []


def test_recorder_names_an_answer_outside_the_contract(db):
    recorder = ContractRecorder()
    recorder.check(*_movie_list({"count": "many", "results": [{"title": 7}]}))
    assert recorder.checked == 1
    (drift,) = recorder.drifts
    assert (drift.method, drift.path, drift.status) == ("GET", "/api/movies/", 200)
    assert "InvalidData" in drift.problem


def test_recorder_ignores_pages_and_paths_outside_the_contract(db):
    recorder = ContractRecorder()
    recorder.check(RequestFactory().get("/api/docs/"), JsonResponse({}))
    recorder.check(RequestFactory().get("/admin/"), JsonResponse({}))
    recorder.check(RequestFactory().put("/api/movies/"), JsonResponse({}, status=405))
    assert recorder.drifts == []
