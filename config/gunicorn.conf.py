"""Gunicorn settings, read from the environment: ``gunicorn -c config/gunicorn.conf.py``.

| variable | default | meaning |
| --- | --- | --- |
| HOST / PORT | 0.0.0.0 / 8000 | where to listen (GUNICORN_BIND overrides both) |
| WEB_CONCURRENCY | 2 x cores + 1 | worker processes |
| GUNICORN_THREADS | 8 | threads per worker (the gthread worker); 1 selects sync workers |
| GUNICORN_TIMEOUT | 30 | seconds before a silent worker is killed and replaced |
| GUNICORN_GRACEFUL_TIMEOUT | 30 | seconds a worker gets to finish on restart/stop |
| GUNICORN_KEEPALIVE | 5 | seconds an idle keep-alive connection stays open |
| GUNICORN_MAX_REQUESTS | 0 | recycle a worker after this many requests (0 = never) |
| GUNICORN_ACCESS_LOG | 0 | gunicorn's own access log; Marquee already logs each request as JSON |

The workers are stateless (sessions are JWTs, the cache is Redis, files are static), so
any number of them, on any number of machines, can sit behind one load balancer.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


wsgi_app = "config.wsgi:application"

bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '0.0.0.0')}:{_int('PORT', 8000)}"  # noqa: S104 - a container's port
)

# Processes: 2 x cores + 1 keeps the cores busy while some requests wait on MySQL (see
# docs/performance.md for the measurement behind it).
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# Threads per process (the gthread worker): a request that waits for the database - a
# booking waiting up to DB_LOCK_WAIT_BUDGET for a showtime's lock - holds a thread, not
# a whole process. With sync workers, clients booking a long-locked showtime in a loop
# pinned every process and unrelated reads queued for seconds (docs/booking.md).
threads = _int("GUNICORN_THREADS", 8)
worker_class = "gthread" if threads > 1 else "sync"

timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10

# Django's request log (core/middleware.py) is the access log; gunicorn's own is off
# unless asked for, so one request is not logged twice.
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "0") in {"1", "true", "yes"} else None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Behind a proxy on the same host only; set FORWARDED_ALLOW_IPS for a remote balancer.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
