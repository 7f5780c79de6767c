"""What a browser gets outside the admin: API docs that load nothing from elsewhere,
grouped and described, a landing page at /, JSON under /api/ even with DEBUG on."""

import gzip
import json
import re

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db

OUTSIDE_URL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//(?!testserver)""", re.I)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_everything_from_this_host(path):
    response = Client().get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert not OUTSIDE_URL.search(html), OUTSIDE_URL.search(html)
    assert "fonts.googleapis.com" not in html and "cdn." not in html
    assert 'rel="icon"' in html
    # The browser itself refuses anything from elsewhere.
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


def test_redoc_bundle_is_ours_without_the_outside_logo_compressed_and_kept():
    """The ReDoc page loads the sidecar's bundle from a URL of ours that names its
    version; the bundle asks for nothing elsewhere (its Redocly logo came from a CDN),
    arrives gzipped and is kept by the browser."""
    html = Client().get("/api/redoc/").content.decode()
    url = re.search(r'<script src="(/api/redoc/redoc\.standalone\.js\?v=\w+)"', html).group(1)

    plain = Client().get(url)
    packed = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert plain.status_code == packed.status_code == 200
    assert plain["Content-Type"].startswith("application/javascript")
    assert b"Redoc" in plain.content and b"API docs by Redocly" in plain.content
    assert b"cdn.redoc.ly" not in plain.content
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 2
    assert "Accept-Encoding" in packed["Vary"]
    assert "max-age=31536000" in packed["Cache-Control"]


def test_redoc_uses_the_system_fonts():
    html = Client().get("/api/redoc/").content.decode()
    assert "system-ui" in html


def test_favicon_is_ours():
    response = Client().get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/marquee/favicon.svg"


def test_landing_page_links_the_docs_the_admin_and_the_health_check():
    response = Client().get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for path in ("/api/docs/", "/api/redoc/", "/api/schema/", "/admin/", "/api/health/"):
        assert f'href="{path}"' in html


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_url_is_json_with_debug_on_or_off(settings, debug):
    settings.DEBUG = debug
    response = Client().get("/api/nonexistent/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_missing_slash_under_api_is_served_without_redirect_with_debug_on(settings):
    """Both forms of an API route are one route (core.middleware.OptionalSlashMiddleware):
    no redirect, which would make a client that follows it drop a POST's body."""
    settings.DEBUG = True
    response = Client().get("/api/movies")
    assert response.status_code == 200
    assert response.json()["results"] == []


def _schema() -> dict:
    return yaml.safe_load(Client().get("/api/schema/").content)


def test_schema_groups_come_in_order_with_descriptions_compatibility_last():
    tags = _schema()["tags"]
    assert [tag["name"] for tag in tags] == [
        "auth", "users", "movies", "halls", "showtimes", "prices", "reservations", "payments", "tickets", "box-office", "reports", "audit", "health",
        "compatibility",
    ]  # fmt: skip
    assert all(tag["description"] for tag in tags)
    assert "Compatibility routes" in tags[-1]["description"]


def test_each_operation_sits_in_its_group():
    paths = _schema()["paths"]
    operations = {(method, path): op for path, ops in paths.items() for method, op in ops.items()}
    used = {tag for op in operations.values() for tag in op["tags"]}
    assert used <= {tag["name"] for tag in _schema()["tags"]}
    assert operations["get", "/api/showtimes/{showtime_id}/seats/"]["tags"] == ["showtimes"]
    assert operations["post", "/api/reservations/"]["tags"] == ["reservations"]
    for path in ("/api/login/", "/api/signup/"):
        assert operations["post", path]["tags"] == ["compatibility"]
    assert (
        operations["post", "/api/login/"]["summary"]
        != (operations["post", "/api/auth/login/"]["summary"])
    )
    assert (
        operations["post", "/api/signup/"]["summary"]
        != (operations["post", "/api/auth/register/"]["summary"])
    )


def test_the_schema_is_built_once_and_sent_compressed(monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from core.docs import SchemaView

    SchemaView.forget()
    built = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        built.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    client = Client()

    plain = client.get("/api/schema/?format=json")
    again = client.get("/api/schema/?format=json", HTTP_ACCEPT_ENCODING="gzip, br")

    assert plain.status_code == again.status_code == 200
    assert len(built) == 1
    assert "Content-Encoding" not in plain
    assert again["Content-Encoding"] == "gzip"
    assert len(again.content) < len(plain.content) / 4
    assert json.loads(gzip.decompress(again.content)) == plain.json()
    assert "Accept-Encoding" in again["Vary"]


def test_query_strings_do_not_make_the_schema_view_keep_more_schemas():
    from core.docs import SchemaView

    SchemaView.forget()
    client = Client()
    for query in ("", "?version=a", "?version=b", "?lang=zz1", "?lang=de", "?version=x%0d%0aX:1"):
        assert client.get(f"/api/schema/{query}").status_code == 200
    assert len(SchemaView._built) == 1
