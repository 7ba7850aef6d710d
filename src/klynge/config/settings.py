"""Klynge settings, in sections. Everything configurable reads a `KLYNGE_*` variable
(or `DATABASE_URL`); defaults give the zero-setup demo on SQLite under `data/`.

`env()` fails loudly when a required variable is missing in production
(`KLYNGE_DEBUG` off), so a misconfigured server never starts with demo secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from klynge.core import jurisdiction

BASE_DIR = Path(__file__).resolve().parents[3]  # the repository root
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def env(name: str, default: str | None = None, *, required_in_production: bool = False) -> str:
    """Return the environment variable `name`; in production a required one must be set."""
    value = os.environ.get(name)
    if value is not None:
        return value
    if required_in_production and not DEBUG:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    if default is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return default


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


# --- Core -----------------------------------------------------------------------------
# Production-safe by default: debug (tracebacks, every URL on a 404) only when the demo
# (`make demo`) or a developer sets KLYNGE_DEBUG=1.
DEBUG = env_bool("KLYNGE_DEBUG", False)
# The demo key only with debug on. Without debug and without KLYNGE_SECRET_KEY the key
# is empty, and Django refuses every use of it ("The SECRET_KEY setting must not be
# empty": every request, every signature) and `check --deploy` reports klynge.E001;
# commands that sign nothing (migrations, schema, mypy's plugin) still run.
SECRET_KEY = os.environ.get("KLYNGE_SECRET_KEY") or (
    "insecure-demo-key-only-for-local-trials" if DEBUG else ""
)
ALLOWED_HOSTS = env("KLYNGE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env("KLYNGE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
DATA_DIR = Path(env("KLYNGE_DATA_DIR", str(BASE_DIR / "data")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI, vendored: /api/docs/ works offline
    "django_tasks",
    "django_tasks_db",
    "klynge.core",
    "klynge.accounts",
    "klynge.registry",
    "klynge.quality",
    "klynge.finance",
    "klynge.meetings",
    "klynge.governance",
    "klynge.documents",
    "klynge.packages",
    "klynge.dataorders",
    "klynge.overviews",
    "klynge.support",
    "klynge.api",
    "klynge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "klynge.core.middleware.LanguageMiddleware",
    "klynge.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "klynge.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "klynge.config.urls"
WSGI_APPLICATION = "klynge.config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides of third-party templates (allauth's layout).
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "klynge.core.context_processors.navigation",
                "klynge.core.jurisdiction.context",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite is the zero-setup default for trying Klynge; PostgreSQL is production and CI.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'klynge.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication (django-allauth: e-mail login, optional TOTP) -----------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ALLOW_REGISTRATION = env_bool("KLYNGE_ALLOW_SIGNUP", False)
ACCOUNT_ADAPTER = "klynge.accounts.adapter.AccountAdapter"
# Failed logins: 5 per 5 minutes for one account from one address (the adapter keys
# them so), 30 a minute from one address in all (a clinic's doctors share one).
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,5/5m/key"}
# Doctors log in rarely: a one-time code by e-mail beside the password (issue 11).
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Password reset and login by code never tell whether an address has an account, and no
# "unknown account" e-mail is sent to addresses without one.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Klynge"
LOGIN_REDIRECT_URL = "core:home"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "core:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if env_bool("KLYNGE_FAST_PASSWORD_HASHER", False):  # tests and benchmarks only
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Internationalisation: Danish first, English second -------------------------------
# The jurisdiction (core/jurisdiction.py, ADR 9): currency and number formats, provider-
# and organisation-number validators, area layer names, grant scheme, role names, and
# the languages and time zone below. "dk" (default) or "england".
KLYNGE_JURISDICTION = env("KLYNGE_JURISDICTION", "dk")
_JURISDICTION = jurisdiction.get(KLYNGE_JURISDICTION)
_LANGUAGE_NAMES = {"da": _("Danish"), "en": _("English")}
LANGUAGE_CODE = _JURISDICTION.languages[0]
LANGUAGES = [(code, _LANGUAGE_NAMES[code]) for code in _JURISDICTION.languages]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = _JURISDICTION.time_zone
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["klynge.config.formats"]

# --- Static and uploaded files (everything served locally; no CDN) --------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = Path(env("KLYNGE_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: documents go through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
KLYNGE_DOCUMENT_MAX_BYTES = int(env("KLYNGE_DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024)))

# --- E-mail (real SMTP in production; files in the demo) ------------------------------
EMAIL_BACKEND = env("KLYNGE_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env("KLYNGE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("KLYNGE_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = env("KLYNGE_DEFAULT_FROM_EMAIL", "Klynge <noreply@klynge.invalid>")
# Bounces (docs/operations.md): each e-mail's envelope sender is
# bounce+<token>@KLYNGE_BOUNCE_DOMAIN (default: the From address's domain), unless
# KLYNGE_BOUNCE_VERP is off; `manage.py process_bounces` reads the reports that come back
# from a Maildir and/or an IMAP mailbox.
KLYNGE_BOUNCE_VERP = env_bool("KLYNGE_BOUNCE_VERP", True)
KLYNGE_BOUNCE_DOMAIN = env("KLYNGE_BOUNCE_DOMAIN", "")
KLYNGE_BOUNCE_MAILDIR = env("KLYNGE_BOUNCE_MAILDIR", "")
KLYNGE_BOUNCE_IMAP_HOST = env("KLYNGE_BOUNCE_IMAP_HOST", "")
KLYNGE_BOUNCE_IMAP_PORT = int(env("KLYNGE_BOUNCE_IMAP_PORT", "993"))
KLYNGE_BOUNCE_IMAP_SECURITY = env("KLYNGE_BOUNCE_IMAP_SECURITY", "ssl")  # ssl, starttls, none
KLYNGE_BOUNCE_IMAP_USER = env("KLYNGE_BOUNCE_IMAP_USER", "")
KLYNGE_BOUNCE_IMAP_PASSWORD = env("KLYNGE_BOUNCE_IMAP_PASSWORD", "")
KLYNGE_BOUNCE_IMAP_FOLDER = env("KLYNGE_BOUNCE_IMAP_FOLDER", "INBOX")

# --- Background tasks (Django Tasks API through the django-tasks backport) -------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A worker renews its job's heartbeat at every phase; a job silent for longer lost its
# worker and is queued again (`manage.py recover_tasks`, every few minutes), at most
# KLYNGE_TASK_MAX_ATTEMPTS times in all.
KLYNGE_TASK_LEASE_SECONDS = int(env("KLYNGE_TASK_LEASE_SECONDS", "600"))
KLYNGE_TASK_MAX_ATTEMPTS = int(env("KLYNGE_TASK_MAX_ATTEMPTS", "3"))

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: its `WWW-Authenticate` header makes a request without credentials a
    # 401, not a 403. Keys are stored hashed (`accounts.ApiToken`, `api_token_create`).
    # Deny by default; public endpoints say `AllowAny` themselves.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "klynge.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "klynge.api.exceptions.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 200,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Klynge API",
    "DESCRIPTION": (
        "Register reads and data submission for quality clusters in general practice.\n\n"
        "Send `Authorization: Token <key>` (`manage.py api_token_create <e-mail>`). What a "
        "token sees is what its user may see on the web: a regional unit its region, the "
        "secretariat everything, a cluster's members their own cluster. Everything dated "
        "takes `?on=YYYY-MM-DD` (default today). Lists are paged with `?limit=` and "
        "`?offset=`. Every error has the body `Error` (`detail`, `code`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],  # the contract is public
    "SCHEMA_PATH_PREFIX": "/api/v[0-9]+",  # tags and operation ids: "clusters", not "v1"
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "EXTERNAL_DOCS": {"description": "The API's documentation page", "url": "/api/docs/"},
}

# --- Klynge domain settings ------------------------------------------------------------
# Country and currency are the jurisdiction's (KLYNGE_JURISDICTION above).
KLYNGE_SITE_URL = env("KLYNGE_SITE_URL", "http://127.0.0.1:8000")  # links in e-mail
KLYNGE_REMINDER_HOURS = int(env("KLYNGE_REMINDER_HOURS", "48"))
# Support desk: a freed course seat is held this long for the next on the waiting list;
# no cluster is sent more approved external inquiries than this a quarter.
KLYNGE_COURSE_OFFER_HOURS = int(env("KLYNGE_COURSE_OFFER_HOURS", "48"))
KLYNGE_INQUIRIES_PER_QUARTER = int(env("KLYNGE_INQUIRIES_PER_QUARTER", "2"))
KLYNGE_DEFAULT_NOTICE_DAYS = 14  # for general assemblies when no statutes are registered
# REG-5: size guidance (warn, never block).
KLYNGE_MIN_PATIENTS_ADVICE = int(env("KLYNGE_MIN_PATIENTS_ADVICE", "30000"))
KLYNGE_MIN_DOCTORS_ADVICE = int(env("KLYNGE_MIN_DOCTORS_ADVICE", "16"))

# --- Security in production -----------------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("KLYNGE_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True
# Served over HTTPS (KLYNGE_HTTPS=1, production): plain HTTP is redirected, browsers are
# told to use HTTPS for a year (HSTS), and a reverse proxy's X-Forwarded-Proto is trusted.
if env_bool("KLYNGE_HTTPS", False):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(env("KLYNGE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KLYNGE_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KLYNGE_HSTS_PRELOAD", True)  # the header may say so;
    # submitting the domain to the browsers' preload list stays a deliberate, manual step
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client's address for login throttling comes from the proxy's X-Forwarded-For.
    ALLAUTH_TRUSTED_PROXY_COUNT = int(env("KLYNGE_TRUSTED_PROXY_COUNT", "1"))
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (core.middleware): scripts only from this site and never
# inline (charts run Vega's expression interpreter, so no eval either); styles from
# this site (inline style attributes allowed: Pico and Vega set some); no framing.
KLYNGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("KLYNGE_LOG_LEVEL", "WARNING")},
}

# --- Quality data --------------------------------------------------------------------------------
# Files above this size are imported by the background worker, with a progress bar.
KLYNGE_IMPORT_INLINE_MAX_BYTES = int(env("KLYNGE_IMPORT_INLINE_MAX_BYTES", str(2 * 1024 * 1024)))
KLYNGE_IMPORT_MAX_BYTES = int(env("KLYNGE_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# Statistical disclosure control: counts from 1 to this minus one are hidden (METHODS B).
KLYNGE_SUPPRESSION_THRESHOLD = int(env("KLYNGE_SUPPRESSION_THRESHOLD", "5"))
# Disclosure control beyond the threshold (docs/privacy.md): a cluster month, a set of
# clinic points and a size class of pseudonyms need this many clinics; a region or
# nation figure is shown beside a cluster only when it holds this many more clinics and
# this share of its expected clinics have reported (also the share that makes a
# cluster's month "complete").
KLYNGE_MIN_CLINICS = int(env("KLYNGE_MIN_CLINICS", "3"))
KLYNGE_COMPARATOR_MIN_REST = int(env("KLYNGE_COMPARATOR_MIN_REST", "5"))
KLYNGE_COVERAGE_MIN = float(env("KLYNGE_COVERAGE_MIN", "0.75"))

# --- Cache: regional and national aggregates, keyed by the data version ----------------------
# In-process by default; set KLYNGE_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to share
# one cache between several app processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "klynge"}
}
if os.environ.get("KLYNGE_REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["KLYNGE_REDIS_URL"],
    }
