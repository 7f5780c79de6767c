"""With production settings (DEBUG=0), after collectstatic, whitenoise serves the admin's
and Swagger UI's assets from our own static files: no CDN is needed."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings

SCRIPT = textwrap.dedent(
    """
    import os, re, sys
    import django
    from django.conf import settings
    django.setup()
    settings.STATIC_ROOT = sys.argv[1]
    from django.core.management import call_command
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.test import Client
    client = Client(SERVER_NAME="marquee.example.com")
    docs = client.get("/api/docs/", secure=True)
    assert docs.status_code == 200, docs.status_code
    html = docs.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("swagger-ui" in a for a in assets), assets
    assert "cdn" not in html.lower() and "unpkg" not in html.lower(), "a CDN URL in the docs page"
    for path in assets + ["/static/admin/css/base.css"]:
        response = client.get(path, secure=True)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200 and body, (path, response.status_code)
        print("served", path, len(body))
    """
)


def test_production_serves_admin_and_swagger_assets_after_collectstatic(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="test-only-" + "s" * 50,
        ALLOWED_HOSTS="marquee.example.com",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments, the test's own interpreter
        [sys.executable, "-c", SCRIPT, str(tmp_path / "static")],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "served /static/admin/css/base.css" in result.stdout
    assert "swagger-ui" in result.stdout
