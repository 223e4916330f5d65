"""Settings for the 舆情 handling system, read from the environment.

Development needs nothing set: SQLite under var/, the embedded Redis that `bin/run` starts on a
unix socket under var/, DEBUG on. Production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; `manage.py check --deploy` is then clean.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YUQING_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-local-use-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_rq",
    "axes",
    "yuqing.tenancy",
    "yuqing.audit",
    "yuqing.workcalendar",
    "yuqing.notify",
    "customers",
    "incidents",
    "training",
    "yuqing.monitoring",
    "yuqing.reports",
    # The operator's commands (runall, embedded_redis, seed_demo) and the helpers every app shares.
    "yuqing.platform",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yuqing.tenancy.middleware.TenantMiddleware",
    # Last, so a locked-out login answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yuqing.urls"
WSGI_APPLICATION = "yuqing.wsgi.application"

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
                "django.template.context_processors.i18n",
                "yuqing.tenancy.context_processors.tenancy",
                "yuqing.notify.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://... through psycopg 3), else SQLite in WAL mode under var/.
SQLITE_PATH = VAR_DIR / "yuqing.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL runs as two roles. DATABASE_URL is the app's (web, workers, cron): it owns no table,
# is neither superuser nor BYPASSRLS, and may only read and write rows, so row-level security holds
# for it. DATABASE_OWNER_URL (same database) owns the tables: `migrate` and test setup switch to it,
# and after migrating it grants the app role its rights and (re)creates every tenant table's policy.
# The backend (yuqing/postgres/) keeps the connection's tenant setting in step with the tenant context.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "yuqing.postgres"
    if os.environ.get("DATABASE_OWNER_URL"):
        DATABASES["default"]["OWNER"] = dj_database_url.parse(os.environ["DATABASE_OWNER_URL"])

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The client address behind YUQING_TRUSTED_PROXY_COUNT reverse proxies (0: none, REMOTE_ADDR is the
# client; 1: the right-most X-Forwarded-For entry): lock-out and audit trail use the same function.
TRUSTED_PROXY_COUNT = env_int("YUQING_TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("YUQING_TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "yuqing.client_ip.client_ip"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# Queue: REDIS_URL, else the embedded server that `bin/run` starts on this unix socket.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}"
# An unreachable Redis host must not hold a request for the OS's connect timeout: ingestion stores
# mentions first and a sweep enqueues what could not be (no read timeout: workers block on dequeue).
if "socket_connect_timeout" not in REDIS_URL:
    REDIS_URL += ("&" if "?" in REDIS_URL else "?") + "socket_connect_timeout=2"
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": timeout}
    for name, timeout in (("default", 300), ("scoring", 600), ("notify", 120), ("reports", 1800))
}
# RSS/Atom polls on their own queue (and worker): a tenant's slow feed must not delay the SLA sweep.
RQ_QUEUES["feeds"] = {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 120}
# Development and tests only: let feed URLs reach loopback/private addresses (a local test server).
# Off in production: feeds are fetched server-side, so such an address would be an SSRF hole.
YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES = env_bool("YUQING_FEEDS_ALLOW_PRIVATE_ADDRESSES", False)
RQ = {"COMMIT_MODE": os.environ.get("RQ_COMMIT_MODE", "on_db_commit")}
# The RQ dashboard spans every tenant: it lives at /admin/rq/ for superusers only, not in the admin index.
RQ_SHOW_ADMIN_LINK = False

# Personal data encryption (yuqing/privacy.py): comma-separated Fernet keys, newest first.
FIELD_ENCRYPTION_KEYS = env_list("YUQING_FIELD_ENCRYPTION_KEYS")

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "yuqing@localhost")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Content-Security-Policy (django-csp) on every response: portal, admin, public pages, API. Only our
# own files run: no inline script, no inline style attribute or <style> (templates and static JS
# set dynamic widths through the CSSOM, which CSP allows; htmx's indicator style ships in app.css).
# tests/portal/test_csp.py keeps templates free of inline script; tests/e2e checks the browser.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Audit trail (yuqing/audit/services/keys.py): comma-separated HMAC keys for the hash chain, newest first;
# older keys stay listed so the events they keyed still verify. Required in production
# (`check --deploy` error audit.E001); in development a key is derived from SECRET_KEY.
AUDIT_KEYS = env_list("YUQING_AUDIT_KEYS")
# Where `audit_verify` and the nightly job keep each tenant's signed chain head (outside the database).
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("YUQING_AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))
