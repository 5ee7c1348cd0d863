"""Settings for reviewsvc.

Every value comes from the environment with a default that is safe and lets a
fresh clone run at once: SQLite in ``var/`` and Celery's filesystem broker, so
``make run`` needs no server. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch
to PostgreSQL and Redis. Production sets ``DJANGO_SECRET_KEY``,
``DJANGO_ALLOWED_HOSTS`` and ``DJANGO_HTTPS=True`` (see README).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    """Read a boolean, refusing anything but True/False so a typo cannot flip a switch."""
    value = os.getenv(name, default)
    if value not in ("True", "False"):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return value == "True"


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read a whole number; a bad value names its variable, not only the text int() choked on.

    With ``minimum``, a smaller value is refused at startup (ImproperlyConfigured).
    """
    value = os.getenv(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def envrate(name: str, default: str) -> str:
    """Read a DRF throttle rate ("20/min", "300/hour": a whole number at least 1, then s, m, h or d),
    refused at startup when malformed rather than as a 500 at the first request it limits."""
    value = os.getenv(name) or default
    number, _, period = value.partition("/")
    if not (number.isdigit() and int(number) >= 1 and period[:1] in ("s", "m", "h", "d")):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f'{name} must be a rate such as "20/min" or "300/hour", not {value!r}')
    return value


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", "False")
# The fallback key is only good for a developer's machine; `check --deploy`
# flags it, and production must set DJANGO_SECRET_KEY.
SECRET_KEY = os.getenv(
    "DJANGO_SECRET_KEY", "django-insecure-reviewsvc-development-key-change-me-in-production"
)
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# Behind TLS (production) every cookie is secure and plain HTTP is redirected.
HTTPS = envbool("DJANGO_HTTPS", "False")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "reviews.errors.csrf_failure"

# The pages load their scripts, styles and pictures from this origin only and
# run no inline script, so an injected <script> or style attribute does nothing.
# Pictures and video may also come from data: and blob: URLs, made in the browser.
# The Swagger UI page adds inline styles for itself (reviewsvc/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

INSTALLED_APPS = [
    # Django's admin, whose password change counts wrong old passwords (reviews.admin_site).
    "reviews.apps.ReviewsAdminConfig",
    # Before django.contrib.auth, so its createsuperuser (the username rules) wins.
    "reviews",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "reviews.media.uploads.BodyIdleTimeoutMiddleware",
    "reviews.request_guards.FilesOnlyForUploadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in on a page into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "reviewsvc.urls"
WSGI_APPLICATION = "reviewsvc.wsgi.application"
ASGI_APPLICATION = "reviewsvc.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

VAR_DIR = Path(os.getenv("REVIEWSVC_VAR_DIR", BASE_DIR / "var"))

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and a worker write to the one file: wait for the lock
    # instead of failing at once, and let readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
# Several test runs share this machine's PostgreSQL: the test database follows DATABASE_URL's name
# (Django's test_<name>), so runs with their own TEST_DATABASE_URL never drop each other's.
if os.getenv("REVIEWSVC_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["REVIEWSVC_TEST_DB_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in ----------------------------------------------------------------
# Axes refuses a locked-out account or address before any password is checked;
# the second backend finds accounts as names are kept (reviews.accounts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "reviews.accounts.UsernameBackend",
]
# How many of our own proxies append to X-Forwarded-For in front of Django; 0
# (the default) means the header is the client's to invent and is ignored.
TRUSTED_PROXY_COUNT = envint("REVIEWSVC_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "reviews.throttling.client_address"
AXES_USERNAME_CALLABLE = "reviews.throttling.axes_username"
# Lock an account after this many wrong passwords from anywhere, and an address
# after this many wrong passwords for any accounts, until the cool-off passes.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = envint("REVIEWSVC_SIGN_IN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(seconds=envint("REVIEWSVC_SIGN_IN_LOCKOUT_SECONDS", 15 * 60))
# A success does not wipe the count: whoever holds one account could otherwise
# sign into it between guesses at another from the same address.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "reviews.throttling.lockout_response"

# A review link's passphrase (reviews.throttling.guard_passphrase, docs/review-links.md): one
# address gets this many misses at one link per lockout window, then waits the window out; the
# link takes this many misses an hour from all addresses together. 5 per 300 s is at most 60 an
# hour, so one address alone never reaches the link's ceiling and locks out its other guests.
REVIEW_LINK_PASSPHRASE_FAILURES_PER_CLIENT = envint("REVIEWSVC_PASSPHRASE_FAILURES_PER_ADDRESS", 5, minimum=1)
REVIEW_LINK_PASSPHRASE_LOCKOUT_SECONDS = envint("REVIEWSVC_PASSPHRASE_LOCKOUT_SECONDS", 300, minimum=1)
REVIEW_LINK_PASSPHRASE_FAILURES_PER_LINK = envint(
    "REVIEWSVC_PASSPHRASE_FAILURES_PER_LINK_HOUR", 100, minimum=1
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Outside production the static files are served straight from the apps, so
# no collectstatic step stands between a clone and a working docs page.
WHITENOISE_USE_FINDERS = not HTTPS

MEDIA_ROOT = Path(os.getenv("REVIEWSVC_MEDIA_ROOT", BASE_DIR / "media"))
# Media is never served from a public URL: reviews.media.links checks a signed,
# expiring link. In production nginx serves the bytes via X-Accel-Redirect to
# this internal location (README, "Serving media"); empty means Django streams.
MEDIA_ACCEL_REDIRECT_PREFIX = os.getenv("REVIEWSVC_MEDIA_ACCEL_REDIRECT", "")
MEDIA_URL_MAX_AGE = envint("REVIEWSVC_MEDIA_URL_MAX_AGE", 6 * 3600)

# Uploads are streamed to disk next to MEDIA_ROOT (so storing them is a rename),
# hashed on the way, and cut off past the limit.
FILE_UPLOAD_HANDLERS = [
    # Outside the upload endpoint a file part is skipped, never written (a page's form takes none).
    "reviews.request_guards.FilesOnlyForUploadsHandler",
    "reviews.media.uploads.StreamingUploadHandler",
]
FILE_UPLOAD_TEMP_DIR = str(MEDIA_ROOT / "tmp")
FILE_UPLOAD_PERMISSIONS = 0o640
MAX_UPLOAD_BYTES = envint("REVIEWSVC_MAX_UPLOAD_BYTES", 2 * 1024**3)
# Seconds a client may send nothing in the middle of a request before it is
# dropped with a 408 (see reviews.media.uploads.BodyIdleTimeoutMiddleware); 0 turns it off.
REQUEST_BODY_IDLE_TIMEOUT = envint("REVIEWSVC_BODY_IDLE_TIMEOUT", 30)
MAX_CLIP_SECONDS = envint("REVIEWSVC_MAX_CLIP_SECONDS", 2 * 3600)
MAX_CLIP_PIXELS = envint("REVIEWSVC_MAX_CLIP_PIXELS", 4096 * 2304)
PROXY_MAX_WIDTH = envint("REVIEWSVC_PROXY_MAX_WIDTH", 1280)
PROXY_MAX_HEIGHT = envint("REVIEWSVC_PROXY_MAX_HEIGHT", 720)
# A clip that kills its worker this many times is marked failed, not retried forever.
MAX_PROCESSING_ATTEMPTS = envint("REVIEWSVC_MAX_PROCESSING_ATTEMPTS", 3)
# Provenance (docs/provenance.md): a PEM file of CA certificates whose C2PA signatures read as
# "valid" rather than "untrusted" (empty: none), and the seconds reading provenance may take in
# all; it runs inside the probe task, whose soft limit is 90 s (reviews/tasks.py).
C2PA_TRUST_ANCHORS = os.getenv("REVIEWSVC_C2PA_TRUST_ANCHORS", "")
PROVENANCE_TIMEOUT = envint("REVIEWSVC_PROVENANCE_TIMEOUT", 30)

REST_FRAMEWORK = {
    # Only the version upload takes multipart (its view says so, and
    # reviews.request_guards.FilesOnlyForUploadsMiddleware refuses it elsewhere unread).
    "DEFAULT_PARSER_CLASSES": [
        "reviews.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "reviews.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        # DRF's, allowed the inline styles of its own template (reviews/renderers.py).
        "reviews.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "reviews.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "reviews.schema.AutoSchema",
    "EXCEPTION_HANDLER": "reviews.errors.exception_handler",
    # Throttles key anonymous clients by address: the socket's, unless our own proxies vouch.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "token": os.getenv("REVIEWSVC_TOKEN_THROTTLE", "20/min"),
        "upload": os.getenv("REVIEWSVC_UPLOAD_THROTTLE", "120/hour"),
        # Test events and redeliveries a director asks for: each is a request to an outside server.
        "webhook-send": os.getenv("REVIEWSVC_WEBHOOK_SEND_THROTTLE", "60/hour"),
        # People without an account (docs/review-links.md, "Rate limits"): guests joining a link
        # at its gate, per address and link; guests' notes, replies and edits, per guest session
        # and per address (several guests behind one office's address share the second).
        "guest-join": envrate("REVIEWSVC_GUEST_JOIN_THROTTLE", "20/hour"),
        "guest-write": envrate("REVIEWSVC_GUEST_WRITE_THROTTLE", "10/min"),
        "guest-write-address": envrate("REVIEWSVC_GUEST_WRITE_ADDRESS_THROTTLE", "300/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "reviewsvc API",
    "DESCRIPTION": (
        "Frame-accurate review of AI-generated video clips. Timecodes are "
        "non-drop-frame HH:MM:SS:FF at the version's frame rate (the project's "
        "before the clip is probed)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The contract is public; the data behind it is not.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # The two my_actions lists have different choices; name their enums after what they list.
    "ENUM_NAME_OVERRIDES": {
        "ActionEnum": "reviews.serializers.actions.ACTION_CHOICES",
        "CommentActionEnum": "reviews.serializers.actions.COMMENT_ACTION_CHOICES",
        # level and email_level of notification settings share one set of levels.
        "NotificationLevelEnum": "reviews.models.NotificationLevel",
    },
    # Every operation also documents the JSON errors it can answer with.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reviews.schema.add_error_responses",
    ],
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/review/"

# Rate limits and wrong-secret counts live here, so every web process must see the same cache:
# Redis with REDIS_URL; else files under REVIEWSVC_CACHE_DIR (make run sets var/cache: its two
# gunicorn workers share it, with no table to create and no writes contending for SQLite's one lock);
# else memory of this process only (tests, a shell).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.getenv("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["REVIEWSVC_CACHE_DIR"],
            # The cache holds throttle and lockout counts: Django's default (300 entries, then a
            # third deleted at random) let a burst of other keys wipe them. Expired entries still go.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
        if os.getenv("REVIEWSVC_CACHE_DIR")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Mail -------------------------------------------------------------------
# EMAIL_URL names the SMTP server in one variable: smtp://user:password@host:587 (STARTTLS unless
# ?tls=False), smtps://…:465 (TLS from the start), or console:// (print). Django's own EMAIL_HOST,
# EMAIL_PORT… work too when EMAIL_URL is unset. With neither, mail is printed to the console, which
# is what `make run` wants. Mail is queued in the database and sent by Celery (reviews/mail.py).


def email_settings(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings from an EMAIL_URL; refuses a scheme it does not know."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"EMAIL_URL must start with smtp://, smtps:// or console://, not {parts.scheme!r}")
    options = dict(parse_qsl(parts.query))
    ssl = parts.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if ssl else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": ssl,
        "EMAIL_USE_TLS": not ssl and options.get("tls", "True") == "True",
    }


if os.getenv("EMAIL_URL"):
    globals().update(email_settings(os.environ["EMAIL_URL"]))
elif os.getenv("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = envint("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "False")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A server that never answers must not hold a worker for long.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "reviewsvc <reviews@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people reach the service, for the links in mail (no trailing slash).
REVIEWSVC_PUBLIC_URL = os.getenv("REVIEWSVC_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# How long an invitation link works (reviews/invitations.py); a resend starts the days again.
REVIEWSVC_INVITATION_DAYS = envint("REVIEWSVC_INVITATION_DAYS", 7, minimum=1)
# Invitation mails (create, re-invite, resend) per hour: to one address, and sent by one director.
REVIEWSVC_INVITATION_MAILS_PER_ADDRESS = envint("REVIEWSVC_INVITATION_MAILS_PER_ADDRESS", 5, minimum=1)
REVIEWSVC_INVITATION_MAILS_PER_DIRECTOR = envint("REVIEWSVC_INVITATION_MAILS_PER_DIRECTOR", 50, minimum=1)
# How long the link confirming a new email address works (reviews/email_confirm.py).
REVIEWSVC_EMAIL_CHANGE_HOURS = envint("REVIEWSVC_EMAIL_CHANGE_HOURS", 24, minimum=1)
# Confirmation mails per hour: to one address (from any account), and asked for by one account.
REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ADDRESS = envint("REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ADDRESS", 3, minimum=1)
REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ACCOUNT = envint("REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ACCOUNT", 5, minimum=1)

# --- Webhooks ---------------------------------------------------------------
# A webhook's URL must be https when the service itself is (production), and may not name a
# loopback, private or link-local address (server-side request forgery) unless this is True:
# for a receiver on the same network, or the tests' receiver on loopback.
WEBHOOK_REQUIRE_HTTPS = envbool("REVIEWSVC_WEBHOOK_REQUIRE_HTTPS", str(HTTPS))
WEBHOOK_ALLOW_PRIVATE = envbool("REVIEWSVC_WEBHOOK_ALLOW_PRIVATE", "False")
# Seconds to connect, and again to read the answer; a receiver should answer at once and work later.
WEBHOOK_TIMEOUT = envint("REVIEWSVC_WEBHOOK_TIMEOUT", 10)
# How long a failing delivery is tried again (with growing pauses) before it is given up.
WEBHOOK_RETRY_HOURS = envint("REVIEWSVC_WEBHOOK_RETRY_HOURS", 24)
# The pause after a first failed try; it doubles after each next one, up to an hour.
WEBHOOK_FIRST_RETRY_SECONDS = float(os.getenv("REVIEWSVC_WEBHOOK_FIRST_RETRY_SECONDS", "30"))

# --- Celery -----------------------------------------------------------------
# The embedded default keeps messages in files under var/broker: a real worker
# process with no broker server. Production points this at Redis.
CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", "filesystem://localhost//")
BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem:")
# kombu's filesystem transport lets a worker read a message its publisher is still writing
# (and then stop); ours writes each message whole (reviewsvc/filesystem_broker.py).
if BROKER_IS_FILESYSTEM:
    CELERY_BROKER_TRANSPORT = "reviewsvc.filesystem_broker:Transport"
_broker_folder = str(VAR_DIR / "broker")
# The longest transcode may run this long; the broker must not hand the same
# message to another worker while the first still works on it.
CELERY_TASK_MAX_TIME_LIMIT = envint("REVIEWSVC_TASK_MAX_TIME_LIMIT", 4 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": _broker_folder,
        "data_folder_out": _broker_folder,
        "control_folder": str(VAR_DIR / "broker-control"),
        # With one job in hand at a time (prefetch 1, late acks) the worker looks for the next
        # after this pause; kombu's 1 s let a few hundred event fan-outs hold an upload for minutes.
        "polling_interval": 0.1,
    }
    if BROKER_IS_FILESYSTEM
    else {
        "visibility_timeout": envint("REVIEWSVC_BROKER_VISIBILITY_TIMEOUT", CELERY_TASK_MAX_TIME_LIMIT + 3600)
    }
)
# Until then a job of a worker that died whole (not just its pool child) stays
# with the broker; a starting worker queues such versions again at once
# (reviews.media.recovery).
RECOVER_ORPHANS_ON_WORKER_START = envbool("REVIEWSVC_RECOVER_ON_WORKER_START", "True")
# Seconds between two comparisons of the queued versions with the jobs Redis
# holds, so that jobs a restarted Redis forgot are queued again (reviews.media.recovery); 0 turns it off.
RECONCILE_SECONDS = envint("REVIEWSVC_RECONCILE_SECONDS", 30)
# Seconds between two sweeps by each worker for media files no row owns, left by a crash or a
# race (reviews.media.sweep); 0 turns it off. A file is removed once unchanged for the grace.
SWEEP_SECONDS = envint("REVIEWSVC_SWEEP_SECONDS", 3600)
SWEEP_GRACE_SECONDS = envint("REVIEWSVC_SWEEP_GRACE_SECONDS", 3600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Each test run names its own queue so runs sharing this machine's Redis do not
# take each other's jobs.
CELERY_TASK_DEFAULT_QUEUE = os.getenv("REVIEWSVC_CELERY_QUEUE", "reviewsvc")
# Acknowledge after the work is done, and give the job back if the worker
# dies, so a killed worker loses nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A transcode is long: a worker should hold one job at a time, not a backlog.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# Periodic work, run by Celery beat: `make run`'s worker embeds it (-B), docker-compose runs a
# `beat` service. Exactly one beat may run; the tasks are safe to run twice anyway.
CELERY_BEAT_SCHEDULE = {
    # Each person's notification digest is mailed at the hour they chose (reviews/notifications/email.py).
    "notification-digests": {
        "task": "reviews.notifications.tasks.send_digests",
        "schedule": envint("REVIEWSVC_DIGEST_CHECK_SECONDS", 15 * 60),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Live pages: server-sent events (docs/live.md) ------------------------------
# Wake-ups and processing progress travel over Redis pub/sub; with no Redis (make run's
# default) each web process polls the event record instead.
LIVE_REDIS_URL = (
    os.getenv("REVIEWSVC_LIVE_REDIS_URL")
    or os.getenv("REDIS_URL")
    or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "")
)


def _live_channel_prefix(queue: str, database: dict, secret_key: str) -> str:
    """The queue name and a hash of this deployment's database and secret key (docs/live.md)."""
    import hashlib

    where = "|".join(str(database.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    return f"{queue}:{hashlib.sha256(f'{where}|{secret_key}'.encode()).hexdigest()[:12]}"


# Pub/sub channels are shared by every database of a Redis server, and deployments sharing a
# Redis often keep the default queue name: the prefix also names the database and the secret key
# (hashed), so no two deployments read each other's messages unless told to.
LIVE_CHANNEL_PREFIX = os.getenv("REVIEWSVC_LIVE_CHANNEL_PREFIX") or _live_channel_prefix(
    CELERY_TASK_DEFAULT_QUEUE, DATABASES["default"], SECRET_KEY
)
# How often a web process reads the record without a wake-up (the only way, without Redis).
LIVE_POLL_MS = envint("REVIEWSVC_LIVE_POLL_MS", 1000)
# An event id missing below newer committed ones is a transaction still committing (or one
# rolled back): newer events wait behind it this long before the stream moves past it.
LIVE_GAP_MS = envint("REVIEWSVC_LIVE_GAP_MS", 3000)
# A comment line this often keeps proxies from closing an idle stream.
LIVE_HEARTBEAT_SECONDS = envint("REVIEWSVC_LIVE_HEARTBEAT_SECONDS", 15)
# How often an open stream checks its reader may still see the project.
LIVE_RECHECK_SECONDS = envint("REVIEWSVC_LIVE_RECHECK_SECONDS", 3)
# Least time between two progress messages of one version from the worker.
LIVE_PROGRESS_MS = envint("REVIEWSVC_LIVE_PROGRESS_MS", 500)
# Threads per web process for the (synchronous) API and pages under ASGI (reviewsvc/asgi.py).
WEB_THREADS = envint("REVIEWSVC_WEB_THREADS", 4)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("DJANGO_LOG_LEVEL", "INFO")},
    # Invitation and reset tokens are paths; Django logs the path of some answers (reviewsvc/log_redaction.py).
    "filters": {"secret_paths": {"()": "reviewsvc.log_redaction.SecretPathFilter"}},
    "loggers": {
        # Axes narrates every sign-in at INFO; its warnings (each failure, each lockout) are what matter.
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["secret_paths"]},
        "django.security.csrf": {"filters": ["secret_paths"]},
        "django.server": {"filters": ["secret_paths"]},
    },
}
