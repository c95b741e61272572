"""The one settings module. Every value that differs between machines comes from the environment.

Defaults give a zero-server local run (SQLite and an embedded SQLAlchemy broker for Celery);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. Production refuses to start without
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DJANGO_DEBUG")
TESTING = env_bool("DJANGO_TESTING")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Commands that sign and serve nothing (makemigrations, migrate, check) run without the production values;
# the web application refuses to start without them (config/wsgi.py).
SECRET_KEY_MISSING = not SECRET_KEY
SECRET_KEY = SECRET_KEY or "insecure-local-development-key"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")


CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # Django's admin, on a site that asks for a verified second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "config.apps.SecurityConfig",
    "catalog",
    "approvals",
    "funding",
    "audits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: where this request's reads go (the primary unless it is a public read).
    "config.db_router.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "catalog.language.ChosenLanguageMiddleware",  # 简体中文 unless English was chosen
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx
    "catalog.partials.HtmxRedirectMiddleware",  # a redirect answered to htmx becomes a real page load
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audits.middleware.AuditMiddleware",
    "catalog.middleware.ReadOnlyRolesMiddleware",  # after the audit middleware: its 403s are recorded
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.security.RequestSizeLimitMiddleware",
    "config.security.HostileInputMiddleware",  # after the size limit: it reads the form
    "config.security.SessionExpiryMiddleware",
    "config.security.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the login view's response and turns a lockout into the login page's message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalog.context_processors.inbox",
            ],
        },
    },
]

# --- Database: SQLite by default, PostgreSQL through DATABASE_URL -------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker process in the tests sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so two writers queue instead of
    # failing on a lock upgrade; this gives select_for_update's serialisation on SQLite too.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

# --- Read replicas: PostgreSQL streaming replicas that take the public reads (config/db_router.py) ------------
# DATABASE_REPLICA_URLS names them, comma-separated. The reads of public pages, the check, search and reports go
# to one whose lag is within DATABASE_REPLICA_MAX_LAG_SECONDS; everything else (writes, the writer's own reads for
# DATABASE_REPLICA_PIN_SECONDS after a write, work pages, transactions, Celery, commands) stays on the primary.
# In tests a replica is a mirror of the default database: the suite never needs a replica to exist.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    _alias = f"replica_{_number}"
    DATABASES[_alias] = dj_database_url.parse(
        _url, conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "600")), conn_health_checks=True
    )
    # A replica that does not answer costs a request at most this long before the primary answers it.
    DATABASES[_alias]["OPTIONS"] = {
        "connect_timeout": int(os.environ.get("DATABASE_REPLICA_CONNECT_TIMEOUT", "1")),
        **DATABASES[_alias].get("OPTIONS", {}),
    }
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    DATABASE_REPLICAS.append(_alias)
# Every check is kept (catalog.demands). Its one-row transaction commits without waiting for the write-ahead log
# to reach the disk unless this is set: a database crash may lose the last fraction of a second of kept checks
# (never a slip, a payment or anything else). docs/performance.md has the measurement.
CHECK_RECORDS_DURABLE_COMMIT = env_bool("CHECK_RECORDS_DURABLE_COMMIT", False)
# The check's page and API hand the record to a thread of their process, which writes the records of each such
# moment in one INSERT (catalog.demands.RecordWriter); 0 writes it in the request, as the tests do.
CHECK_RECORDS_DELAY_SECONDS = float(os.environ.get("CHECK_RECORDS_DELAY_SECONDS", "0" if TESTING else "0.2"))
# A computed answer (the check, a search, the reviewer's queue) is stored for the next asker by a thread of its
# process a moment later, the answers of each moment in one round trip (catalog.answers.AnswerKeeper); 0 stores
# it in the request, as the tests do.
KEPT_ANSWERS_DELAY_SECONDS = float(os.environ.get("KEPT_ANSWERS_DELAY_SECONDS", "0" if TESTING else "0.1"))
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "2"))
# Raised to at least the lag bound plus the lag check's period: after that a replica has the writer's writes.
DATABASE_REPLICA_PIN_SECONDS = float(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "5"))
DATABASE_REPLICA_LAG_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_LAG_CHECK_SECONDS", "0.5"))
DATABASE_REPLICA_RETRY_SECONDS = float(os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "5"))  # after a failure
# The requests whose reads a replica may answer (GET and HEAD only): public pages, the check, search, reports.
DATABASE_REPLICA_PATHS = [
    r"^/$",
    r"^/org/",
    r"^/catalogue/(?!\d+/(draft|demands)/)",  # not the draft being edited, nor the queue of demands to sort
    r"^/check/",
    r"^/funding/(report|unfunded)/",
    r"^/api/v1/(check|items|versions|cities|districts|streets|communities|departments|funding-report|unfunded)/",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "catalog.User"
# Axes first: it refuses a locked-out username and address before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

# --- Language and time: Chinese first, English second; Beijing time -------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not env_bool("DJANGO_TESTING")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))

# --- Security: strict unless debugging or testing ---------------------------------------------------
# Production is the default: with DJANGO_DEBUG off the site assumes HTTPS (secure cookies, HSTS, redirect)
# unless DJANGO_SECURE=0 says otherwise. `manage.py check --deploy` reports nothing (tests/security).
SECURE = env_bool("DJANGO_SECURE", default=not DEBUG and not TESTING)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own health check speaks plain HTTP to gunicorn
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Sessions end 8 hours after login whatever happens, after 30 minutes without a request, and (if asked)
# when the browser closes; config.security.SessionExpiryMiddleware enforces the first two.
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("DJANGO_SESSION_AGE_SECONDS", str(8 * 3600)))
SESSION_IDLE_SECONDS = int(os.environ.get("DJANGO_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE")

# Content Security Policy (django-csp): only this site's own scripts and styles; an inline <style> or
# <script> needs the request's nonce. No framing, no plugins, forms post only here. Pictures may also be blob:
# addresses: 拍照查一查 shows the secretary's own photo of a notice from the browser's memory (it is never kept here).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): 5 wrong passwords for one username from one address lock that pair for
# 15 minutes; an administrator unlocks earlier in the admin (Axes › access attempts) or with `axes_reset`.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "audits.trail.client_ip"  # the same address the audit trail records
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_VERBOSE = False

# Two-factor authentication (django-otp, TOTP): anyone may enrol; these roles must. Empty in debug and
# tests so that the demo logins work without a phone.
TWO_FACTOR_REQUIRED_ROLES = env_list("DJANGO_2FA_REQUIRED_ROLES", "" if DEBUG or TESTING else "civil_affairs,admin")
OTP_TOTP_ISSUER = "社区工作准入"
# An API token ends after this many days without use (config.tokens), and whenever the password changes.
API_TOKEN_IDLE_DAYS = int(os.environ.get("DJANGO_API_TOKEN_IDLE_DAYS", "30"))

# Uploads: a request body is refused above this size (a clear 413); each file is also limited to 10 MB
# by its content check (approvals.services.sniff_upload). Files larger than 2.5 MB stream to disk.
MAX_REQUEST_BYTES = int(os.environ.get("DJANGO_MAX_REQUEST_BYTES", str(50 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email: printed to the console unless a backend is configured ------------------------------------
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "noreply@community-access.local")

# --- Cache: Redis when REDIS_URL is set ---------------------------------------------------------------
# Web and worker processes must share it: the worker's writes retire cached check answers (catalog.answers).
# Keys are prefixed with the database name, so two databases on one Redis never read each other's answers.
REDIS_URL = os.environ.get("REDIS_URL", "")
# DJANGO_CACHE (locmem, redis or file) overrides the choice; tests use locmem, cleared before each test.
CACHE_KIND = os.environ.get("DJANGO_CACHE") or (
    "locmem" if env_bool("DJANGO_TESTING") else "redis" if REDIS_URL else "file"
)
if CACHE_KIND == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_KIND == "redis":
    CACHES = {
        "default": {
            "BACKEND": "config.cache.KeptClientRedisCache",  # Django's, one client per pool (config/cache.py)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": str(DATABASES["default"]["NAME"]),
            # An unreachable cache costs a request at most a second: the answer is then computed (catalog.answers).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }

# --- Celery: Redis when REDIS_URL is set, otherwise an embedded SQLite broker -----------------------
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = os.environ.get(
    "CELERY_RESULT_BACKEND", REDIS_URL or f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a task killed mid-run is delivered again; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Whoever publishes (beat, or a request) gives up after about a second when Redis is down; the scheduled jobs
# re-derive their work from the database at their next run, so nothing is lost by not waiting longer.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A worker waits out a Redis outage of any length and goes on by itself (by default it gives up after 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
if CELERY_BROKER_URL.startswith("redis"):  # the embedded SQLAlchemy broker takes none of these options
    # A worker killed mid-task (SIGKILL, out of memory, host lost) leaves its message unacknowledged in Redis;
    # another worker delivers it again once it is this many seconds old. It must exceed the longest task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
        "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
        "socket_connect_timeout": 3,  # an unreachable broker fails fast instead of hanging the caller
    }
if CELERY_RESULT_BACKEND.startswith("redis"):
    # Publishing also subscribes to the task's result in Redis, which by default retries 20 times a second
    # apart: a publish during an outage would hang for 20 s. It fails within a second instead, and works again
    # once Redis is back.
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
# The home page warns that background jobs are delayed when the newest heartbeat is older than this.
HEARTBEAT_STALE_SECONDS = int(os.environ.get("DJANGO_HEARTBEAT_STALE_SECONDS", "300"))
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Lets the administrator see on the home page that the worker and beat are alive.
    "worker-heartbeat": {"task": "catalog.tasks.record_heartbeat", "schedule": 60.0},
    "prune-heartbeats": {"task": "catalog.tasks.prune_heartbeats", "schedule": crontab(minute=17, hour=3)},
    # The gate: batches open and tally on their dates; reminders, escalation and lapses follow the calendar.
    "approvals-advance-batches": {"task": "approvals.tasks.advance_batches", "schedule": crontab(minute=5)},
    "approvals-remind-ballots": {"task": "approvals.tasks.remind_ballots", "schedule": crontab(minute=0, hour=9)},
    "approvals-escalate-urgent": {"task": "approvals.tasks.escalate_urgent", "schedule": crontab(minute=30)},
    "approvals-lapse-expedited": {"task": "approvals.tasks.lapse_expedited", "schedule": crontab(minute=10, hour=0)},
    # 费随事转: contracts start and complete, instalment reminders, the monthly funding snapshot.
    "funding-advance-contracts": {"task": "funding.tasks.advance_contracts", "schedule": crontab(minute=15, hour=0)},
    "funding-remind-instalments": {"task": "funding.tasks.remind_instalments", "schedule": crontab(minute=0, hour=8)},
    "funding-snapshot": {
        "task": "funding.tasks.snapshot_funding",
        "schedule": crontab(minute=20, hour=0, day_of_month=1),
    },
    # 限期改正: remind units before a notice's deadline, escalate overdue notices; the system proposes findings.
    "audits-remind-notices": {"task": "audits.tasks.remind_notices", "schedule": crontab(minute=0, hour=9)},
    "audits-propose-findings": {"task": "audits.tasks.propose_findings", "schedule": crontab(minute=40, hour=1)},
    # The audit trail: every audited commit is sealed shortly after; this seals what a busy sealer's lock left over.
    "audits-seal-trail": {"task": "audits.tasks.seal_trail", "schedule": 30.0},
}
# How soon after an audited commit its entry is sealed, by a thread of the committing process (audits.trail.Sealer)
# so that the request does not wait for it; 0 seals in the committing request itself, as the tests do (each
# test then sees its own entries sealed when its write returns; tests/audits/test_trail_sealer.py covers the thread).
AUDIT_SEAL_DELAY_SECONDS = float(os.environ.get("AUDIT_SEAL_DELAY_SECONDS", "0" if TESTING else "0.2"))

# --- REST API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "config.authentication.TokenAuthentication",  # DRF's, refusing roles that must use two factors but have none
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies bounded in size and depth (1,000 nested levels used to raise RecursionError: a 500)
    "DEFAULT_PARSER_CLASSES": [
        "catalog.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "catalog.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "社区工作准入 Community work access API",
    "DESCRIPTION": "社区工作准入系统的接口：社区工作清单、准入审批、费随事转和监督审计。"
    " Catalogue, approvals, funding and supervision of community work.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The error answers (400, 403, 404) are part of the contract too; tests/security fuzzes against all of it.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalog.api.schema.document_error_answers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStateEnum": "approvals.choices.ApplicationState",
        "BatchStateEnum": "approvals.choices.BatchState",
        "VersionStateEnum": "catalog.choices.VersionState",
        "ItemTypeEnum": "catalog.choices.ItemType",
        "ContractStateEnum": "funding.choices.ContractState",
        "FindingKindEnum": "audits.models.Finding.Kind",
    },
}

BENCH_FLOORS = env_bool("DJANGO_BENCH_FLOORS")  # the trivial views bench/run measures ratios against
# Behind a reverse proxy that appends to X-Forwarded-For, the trail and the lockout take the address it added.
TRUST_X_FORWARDED_FOR = env_bool("DJANGO_TRUST_X_FORWARDED_FOR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Axes logs every successful login at INFO; failures and lockouts (WARNING) are what matter, and the audit
    # trail records logins anyway.
    "loggers": {"axes": {"level": "WARNING"}},
}
