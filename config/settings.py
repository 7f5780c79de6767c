"""Marquee settings.

Everything an operator may change is read from the environment; each variable is
listed with its default in the README. Defaults are for a developer's laptop: SQLite,
local-memory cache, DEBUG on. With DEBUG off the secure defaults apply and SECRET_KEY
must be given.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    CONSOLE_EMAIL_BACKEND,
    SMTP_EMAIL_BACKEND,
    EmailConfig,
    email_config,
    env,
    env_bool,
    env_float,
    env_int,
    env_list,
)
from core.currencies import THREE_DECIMAL_CURRENCIES

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "config.apps.MarqueeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "users",
    "cinema",
    "pricing",
    "waitingroom",
    "bookings",
    "notifications",
    "tickets",
    "payments",
    "reports",
    "demo",
    "boxoffice",
    "audit",
    "live",
]

MIDDLEWARE = [
    # Outermost, so the logged duration covers the whole stack.
    "core.middleware.RequestLogMiddleware",
    # /api/x and /api/x/ are one route, served without a redirect.
    "core.middleware.OptionalSlashMiddleware",
    # JSON, not Django's HTML debug page, for an unknown /api/ URL with DEBUG on.
    "core.middleware.ApiJsonNotFoundMiddleware",
    # Before anything that may answer by itself (CommonMiddleware, whitenoise).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who acts and from which address, for the audit trail of staff actions.
    "audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = env("ROOT_URLCONF", "config.urls")
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Seconds a worker keeps its database connection. Production (DEBUG off) reuses it, so a
# request does not pay for a new MySQL connection; CONN_HEALTH_CHECKS (always on, below)
# replaces a connection that went away. 0 = close after every request.
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 0 if DEBUG else 60)
# Ping a reused connection before a request's first query (one round trip per request).
# It turns a connection the server dropped into a reconnect instead of a 500; turning it
# off saves the round trip (docs/performance.md) when CONN_MAX_AGE stays well below the
# server's wait_timeout and database restarts are rare.
CONN_HEALTH_CHECKS = env_bool("CONN_HEALTH_CHECKS", True)
# ...except on MySQL/MariaDB a connection that a request started using less than this
# many seconds ago (core/db/mysql): a busy worker pings a connection that sat idle, not
# every request's. 0 pings before every request.
DB_HEALTH_CHECK_GRACE_SECONDS = env_float("DB_HEALTH_CHECK_GRACE_SECONDS", 1)
# The hot queries (core/queries.py) are compiled once per process; 0 has the ORM build
# them on every request, as it would without that helper (to measure what it saves).
PREPARED_QUERIES = env_bool("PREPARED_QUERIES", True)
# Seconds any statement waits for a row lock on MySQL/MariaDB (innodb_lock_wait_timeout)
# before it fails with a lock-wait timeout (then retried, or answered 503 `busy`).
DB_LOCK_WAIT_TIMEOUT = env_int("DB_LOCK_WAIT_TIMEOUT", 3)
# Seconds in all that a booking, confirm or cancel waits for the showtime's row lock,
# across its retries; then it answers 503 `busy` with Retry-After (docs/booking.md).
DB_LOCK_WAIT_BUDGET = env_int("DB_LOCK_WAIT_BUDGET", 2)

# --- Database timeouts ----------------------------------------------------------------
# A dead or hung database must cost a request seconds, not the gunicorn timeout: the
# MySQL client gives up connecting, reading or writing after these many seconds, and
# the request answers 503 `database_unavailable` (core/exceptions.py). The read
# timeout bounds every query, so it must stay above DB_LOCK_WAIT_TIMEOUT (a lock wait is
# a read that does not return) and above the slowest legitimate query (the reports).
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 2)
DB_READ_TIMEOUT = env_int("DB_READ_TIMEOUT", 5)
DB_WRITE_TIMEOUT = env_int("DB_WRITE_TIMEOUT", 5)
if DB_READ_TIMEOUT <= DB_LOCK_WAIT_TIMEOUT:
    raise ImproperlyConfigured("DB_READ_TIMEOUT must be greater than DB_LOCK_WAIT_TIMEOUT.")
# /api/health/ checks on a connection of its own with this connect and read timeout, so
# that a load balancer hears 503 within 2 s when the database is down or hung.
HEALTH_DB_TIMEOUT = 1


def _timeouts(engine: str) -> dict:
    if engine == "django.db.backends.mysql":
        return {
            "connect_timeout": DB_CONNECT_TIMEOUT,
            "read_timeout": DB_READ_TIMEOUT,
            "write_timeout": DB_WRITE_TIMEOUT,
        }
    return {}


def _database(url: str) -> dict:
    config = dj_database_url.parse(
        url, conn_max_age=CONN_MAX_AGE, conn_health_checks=CONN_HEALTH_CHECKS
    )
    if config["ENGINE"] == "django.db.backends.mysql":
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            # READ COMMITTED: a plain read after taking a row lock sees the rows other
            # transactions committed while we waited for it (Django's recommendation).
            "isolation_level": "read committed",
            "init_command": (
                "SET sql_mode='STRICT_TRANS_TABLES', "
                f"innodb_lock_wait_timeout={DB_LOCK_WAIT_TIMEOUT}"
            ),
            **_timeouts(config["ENGINE"]),
            **config.get("OPTIONS", {}),
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


DATABASES = {"default": _database(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # Django's MySQL backend whose health check fits DB_READ_TIMEOUT (core/db/mysql).
    DATABASES["default"]["ENGINE"] = "core.db.mysql"

# --- Read replica (core/db_router.py, docs/scaling.md) -------------------------------
# Catalogue and seat-map reads go to the replica while it answers and keeps up; bookings,
# users and every write stay on the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "")
# Above this many seconds behind the primary (its heartbeat row, deploy/mariadb/), the
# reads that would go to the replica go to the primary.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 5)
# Seconds to wait for the replica's connection; a replica that does not answer in time
# counts as down and the read goes to the primary.
REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 1)
# Seconds a replica read (or the ping before it) may wait for an answer: a replica that
# hangs on an open connection is then given up like an unreachable one. Catalogue and
# seat-map reads take milliseconds.
REPLICA_READ_TIMEOUT = env_int("REPLICA_READ_TIMEOUT", 2)
# How often each process reads the replica's heartbeat (its lag), in seconds.
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 1)
# Seconds a process reads only from the primary after the replica failed, before it
# tries the replica again (so a dead replica costs one failed connect, not one a request).
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.mysql":
        DATABASES["replica"]["OPTIONS"].update(
            connect_timeout=REPLICA_CONNECT_TIMEOUT,
            read_timeout=REPLICA_READ_TIMEOUT,
            write_timeout=REPLICA_READ_TIMEOUT,
        )
    # Tests run against the primary's test database only.
    DATABASES["replica"]["TEST"] = {**DATABASES["replica"].get("TEST", {}), "MIRROR": "default"}
    DATABASE_ROUTERS = ["core.db_router.PrimaryReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"

# --- Cache (throttles, idempotency keys) ----------------------------------------------
REDIS_URL = env("REDIS_URL", "")
# Seconds to connect to Redis and to wait for an answer: a dead or hung Redis must not
# hold a login for seconds. After a failure the cache is left alone for
# REDIS_RETRY_SECONDS (each worker decides for itself) and throttles fail open meanwhile.
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 0.25)
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.25)
REDIS_RETRY_SECONDS = env_float("REDIS_RETRY_SECONDS", 5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "marquee",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
                "retry_seconds": REDIS_RETRY_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Seconds each node may keep the list of queued showtimes (waitingroom/services.py);
# it is dropped at once in the shared cache when a waiting room changes.
QUEUED_CACHE_SECONDS = env_int("QUEUED_CACHE_SECONDS", 10)
# Seconds each process keeps the list it read from the shared cache (0: ask every time):
# a waiting room switched on applies in other processes up to this much later.
QUEUED_LOCAL_SECONDS = env_float("QUEUED_LOCAL_SECONDS", 1)

# --- Passwords ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time and language ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
# A 24-hour clock in the admin (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static files (whitenoise serves them, also with DEBUG off) -----------------------
STATIC_URL = "static/"
# The project's own assets (favicon, the admin's seat map and report styles) next to
# those of the apps.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes; a front proxy (deploy/nginx/) serves /static/ from here.
STATIC_ROOT = env("STATIC_ROOT", "") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Health checks from a load balancer come in over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]

# --- CORS: browser apps on other origins (django-cors-headers) -------------------------
# Comma-separated origins allowed to call the API from a browser, e.g.
# "https://app.example.com,http://localhost:5173"; none by default. Only /api/ answers
# CORS. Tokens travel in the Authorization header, so no cookies (credentials) are
# allowed; the headers a client must send or read are listed.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    *cors_default_headers,
    "idempotency-key",
    "if-none-match",
    "queue-pass",
)
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed", "ETag", "Location"]

# How many reverse proxies sit in front of the app. 0 means: trust REMOTE_ADDR only, so
# a client cannot pick its own throttle bucket with a forged X-Forwarded-For.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.UserJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "core.filters.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.MarqueeAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN_RATE", "10/min"),
        "login_username": env("THROTTLE_LOGIN_RATE", "10/min"),
        "register": env("THROTTLE_REGISTER_RATE", "5/min"),
        "register_username": env("THROTTLE_REGISTER_RATE", "5/min"),
        # Check-ins per staff user (tickets/throttles.py): a door scans a queue, not a
        # dictionary of guessed codes.
        "check_in": env("THROTTLE_CHECK_IN_RATE", "120/min"),
        # Requests that name a voucher, per account and per address (users/throttles.py):
        # enough to use a few, too few to guess codes.
        "voucher": env("THROTTLE_VOUCHER_RATE", "20/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": env("JWT_SIGNING_KEY", "") or SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Marquee API",
    "DESCRIPTION": (
        "Movie reservations: browse movies and showtimes, see a live seat map, hold and "
        "book seats, cancel. Authenticate with `POST /api/auth/login/` and send the access "
        "token as `Authorization: Bearer <token>`."
    ),
    "VERSION": "1.0.0",
    # Relative: the server that serves the schema (the paths carry /api/ themselves).
    "SERVERS": [{"url": "/", "description": "This server"}],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # ReDoc with the system's fonts: its default ones come from Google Fonts, and the
    # docs are served offline (core/docs.py).
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif"},
                "code": {"fontFamily": "ui-monospace, 'DejaVu Sans Mono', monospace"},
            }
        }
    },
    # The groups of operations, in this order, each with what it holds (Swagger UI and
    # ReDoc show them so); the compatibility routes last.
    "TAGS": [
        {
            "name": "auth",
            "description": "Accounts and tokens: sign up, log in for an access and a refresh "
            "token, rotate the refresh token, log out.",
        },
        {"name": "users", "description": "Your profile; for ADMINs, every user and their role."},
        {
            "name": "movies",
            "description": "The catalogue: search and filter movies, a movie's upcoming "
            "showtimes; ADMINs add and change movies.",
        },
        {"name": "halls", "description": "Screening rooms and their seat layouts."},
        {
            "name": "showtimes",
            "description": "The schedule, a day at a time, and each showtime's live seat map.",
        },
        {
            "name": "prices",
            "description": "Price lists: the ticket types a showtime sells (Adult, Child...) "
            "and their prices per seat type, public; vouchers (ADMIN).",
        },
        {
            "name": "reservations",
            "description": "Book or hold seats, all or nothing; confirm a hold; list and "
            "cancel reservations.",
        },
        {
            "name": "payments",
            "description": "Paying for a hold: online (a Stripe PaymentIntent, confirmed by "
            "its signed webhook) or at the box office (CASHIER, ADMIN); your payments.",
        },
        {
            "name": "tickets",
            "description": "The e-tickets of confirmed reservations and their QR codes; the "
            "check-in at the door (USHER, CASHIER, ADMIN).",
        },
        {
            "name": "box-office",
            "description": "Selling at the counter (CASHIER, ADMIN): seats, payment and "
            "tickets in one call, for a walk-in or an account.",
        },
        {"name": "reports", "description": "Revenue, tickets sold and occupancy (ADMIN)."},
        {
            "name": "audit",
            "description": "The audit trail (ADMIN): every staff action on money, seats, "
            "tickets, the schedule and roles; append-only.",
        },
        {"name": "health", "description": "For load balancers: is the database reachable?"},
        {
            "name": "compatibility",
            "description": "**Compatibility routes** of the API Marquee replaces, kept for "
            "its existing clients, on the same services. New clients use the operations "
            "above.",
        },
    ],
    # One component per model enum, named after it; query filters refer to the same
    # components (core.schema.postprocess).
    "ENUM_NAME_OVERRIDES": {
        "SeatTypeEnum": "cinema.models.SeatType",
        "GenreEnum": "cinema.models.Genre",
        "AgeRatingEnum": "cinema.models.AgeRating",
        "RoleEnum": "users.models.Role",
        # Used by several components: /api/my-bookings/ has its own (with tickets_url),
        # and so has the compatibility booking's answer (with `next`).
        "ReservationStatusEnum": "bookings.models.ReservationStatus",
        "SeatStatusEnum": "bookings.models.SeatStatus",
        "DiscountKindEnum": "pricing.models.DiscountKind",
        "CheckInRefusalCodeEnum": "tickets.exceptions.DOOR_REFUSAL_CODES",
        # Payments: a payment's status, and a reservation's payment state.
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "ReservationPaymentStatusEnum": "bookings.models.PaymentState",
        "PaymentProviderEnum": "payments.models.Provider",
        "PaymentMethodEnum": "payments.models.Method",
        "CounterMethodEnum": "payments.models.COUNTER_METHODS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.postprocess",
    ],
}

# --- Cinema and booking rules ---------------------------------------------------------
# Minutes the hall needs between two shows (cleaning, seating).
CLEANING_BUFFER_MINUTES = env_int("CLEANING_BUFFER_MINUTES", 15)
# Minutes before the start at which a showtime stops selling and cancelling.
BOOKING_CUTOFF_MINUTES = env_int("BOOKING_CUTOFF_MINUTES", 0)
# Minutes after the start until which the counter still sells a showtime (a latecomer
# at the till; online sales stop at the cutoff above).
COUNTER_SALES_AFTER_START_MINUTES = env_int("COUNTER_SALES_AFTER_START_MINUTES", 15)
# How far below the list price a price set by hand at the counter may go, as a
# percentage of it (0: down to free); only an ADMIN may go above the list price.
PRICE_OVERRIDE_FLOOR_PERCENT = env_int("PRICE_OVERRIDE_FLOOR_PERCENT", 0)
# How long a process may show a price list's ticket types on seat maps before reading
# them again (a booking always reads them).
TICKET_TYPES_CACHE_SECONDS = env_int("TICKET_TYPES_CACHE_SECONDS", 5)
# How long a hold keeps its seats before they are free again.
HOLD_MINUTES = env_int("HOLD_MINUTES", 10)
# Seats one reservation may cover.
MAX_SEATS_PER_RESERVATION = env_int("MAX_SEATS_PER_RESERVATION", 10)
# Seats one customer may hold or own for one showtime, across reservations (anti-scalping).
MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = env_int("MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME", 10)
# How often a booking that hit a deadlock or lock timeout is tried again.
BOOKING_RETRY_ATTEMPTS = env_int("BOOKING_RETRY_ATTEMPTS", 3)
# Hours an Idempotency-Key is remembered.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)
# Seconds a client may reuse a seat map or showtime before asking again (Cache-Control:
# max-age); after that it revalidates with If-None-Match and gets 304 while unchanged.
POLL_MAX_AGE_SECONDS = env_int("POLL_MAX_AGE_SECONDS", 2)

# --- Live seat maps (live/, GET /api/showtimes/{id}/seats/stream/) --------------------
# The Redis that carries "the seats of showtime X changed" to every node's streams (the
# cache's by default; none: streams answer at once with a hint to poll /seats/).
LIVE_REDIS_URL = env("LIVE_REDIS_URL", REDIS_URL)
LIVE_CHANNEL = env("LIVE_CHANNEL", "marquee:seats-changed")
# Seconds between heartbeats (comment lines) on an idle stream, so proxies keep it open.
LIVE_HEARTBEAT_SECONDS = env_float("LIVE_HEARTBEAT_SECONDS", 15)
# Seconds a stream process waits to open its one subscription. Longer than the request
# path's REDIS_CONNECT_TIMEOUT: the first connect of a process happens in a burst of new
# streams, on an event loop busy with them, and failing it ends every one of them.
LIVE_REDIS_CONNECT_TIMEOUT = env_float("LIVE_REDIS_CONNECT_TIMEOUT", 2)
# The retry hint (milliseconds) a stream sends before it ends for a Redis fault.
LIVE_RETRY_MS = env_int("LIVE_RETRY_MS", 5000)
# Changes a process remembers per showtime for clients that resume with Last-Event-ID.
LIVE_REPLAY_EVENTS = env_int("LIVE_REPLAY_EVENTS", 512)

# --- Tickets and check-in (tickets/, docs/tickets.md) ---------------------------------
# Minutes before a showtime's start from which its tickets are admitted at the door.
DOORS_OPEN_MINUTES = env_int("DOORS_OPEN_MINUTES", 30)
# Unknown codes one staff user may scan within a minute before it is logged as a burst.
CHECK_IN_UNKNOWN_ALERT = env_int("CHECK_IN_UNKNOWN_ALERT", 10)

# --- Email: the outbox and its worker (notifications/, docs/outbox.md) ---------------
# EMAIL_URL (smtp://user:password@host:port, submission:// for STARTTLS, smtps:// for
# TLS, console://) or EMAIL_HOST and friends select SMTP; without either, emails are
# printed on the console by the worker (`manage.py send_emails`, started by `make run`).
# Nothing in a request ever talks to the mail server: messages are written to the outbox
# in the transaction that decides them and delivered after commit by the worker.
_email = email_config(env("EMAIL_URL", "")) or EmailConfig(
    backend=SMTP_EMAIL_BACKEND if env("EMAIL_HOST", "") else CONSOLE_EMAIL_BACKEND,
    host=env("EMAIL_HOST", "localhost"),
    port=env_int("EMAIL_PORT", 25),
    user=env("EMAIL_HOST_USER", ""),
    password=env("EMAIL_HOST_PASSWORD", ""),
    use_tls=env_bool("EMAIL_USE_TLS", False),
    use_ssl=env_bool("EMAIL_USE_SSL", False),
)
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Marquee <tickets@marquee.example>")
# Seconds the worker waits for the mail server (connect and each reply).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# A message that failed this many times is marked dead (the admin lists it); before
# that it is retried after EMAIL_RETRY_SECONDS, doubling each time up to
# EMAIL_RETRY_MAX_SECONDS.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 10)
EMAIL_RETRY_SECONDS = env_int("EMAIL_RETRY_SECONDS", 30)
EMAIL_RETRY_MAX_SECONDS = env_int("EMAIL_RETRY_MAX_SECONDS", 3600)

# --- Payments (payments/, docs/payments.md) --------------------------------------------
# On: every booking is a hold that becomes CONFIRMED only through a SUCCEEDED payment
# (online or at the box office). Off (the default): a booking confirms at once, as the
# demo expects, and a hold may still be paid online.
PAYMENT_REQUIRED = env_bool("PAYMENT_REQUIRED", False)
# Minutes from checkout that a hold with a pending online payment keeps its seats (the
# hold is extended so once per reservation, never shortened).
PAYMENT_WINDOW_MINUTES = env_int("PAYMENT_WINDOW_MINUTES", 15)
# ISO 4217 code of every price and payment.
CURRENCY = env("CURRENCY", "EUR").strip().upper()
if CURRENCY in THREE_DECIMAL_CURRENCIES:
    raise ImproperlyConfigured(
        f"CURRENCY={CURRENCY} has three decimals; prices here have two, and Stripe would "
        "be asked for a tenth of each price. Use a currency with two decimals or none."
    )
# Stripe is enabled only with a secret key; the box office works without it.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
# Another API address (localstripe in development and tests); empty: Stripe's own.
STRIPE_API_BASE = env("STRIPE_API_BASE", "")
# Seconds to connect to Stripe and to wait for its answer, and how often a call that
# failed on the network is retried (with the same idempotency key): a hung provider costs
# a request at most (connect + read) x (1 + retries) seconds, then 503.
STRIPE_CONNECT_TIMEOUT = env_float("STRIPE_CONNECT_TIMEOUT", 2)
STRIPE_TIMEOUT = env_float("STRIPE_TIMEOUT", 5)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)
# After a call could not reach Stripe (no connection, or no answer within the timeouts),
# each process asks it nothing for STRIPE_RETRY_SECONDS: checkouts answer 503 at once
# instead of each waiting for its own timeout. And at most STRIPE_MAX_CONCURRENT_CALLS
# threads of a process wait on Stripe at once (payments/gateway.py).
STRIPE_RETRY_SECONDS = env_float("STRIPE_RETRY_SECONDS", 10)
STRIPE_MAX_CONCURRENT_CALLS = env_int("STRIPE_MAX_CONCURRENT_CALLS", 3)

# --- Logging --------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", "INFO")
# One JSON line per request (method, path, status, duration_ms, user) on the
# "marquee.request" logger; see core/middleware.py.
REQUEST_LOG = env_bool("REQUEST_LOG", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # The middleware writes the whole JSON object as the message.
        "json_line": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "request_console": {"class": "logging.StreamHandler", "formatter": "json_line"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "marquee.request": {
            "handlers": ["request_console"],
            "level": "INFO",
            "propagate": False,
        },
        # stripe-python logs every API call at INFO; payments logs what matters.
        "stripe": {"level": "WARNING"},
    },
}
