"""Settings from environment variables, with safe defaults for the embedded (SQLite) mode.

FANGKONG_DATA_DIR   where the embedded database, uploads and generated files live (./fangkong-data)
DATABASE_URL        e.g. postgres://user@127.0.0.1:5432/fangkong; default: SQLite under the data dir
FANGKONG_SECRET_KEY required outside debug; the embedded mode keeps a generated key in the data dir
FANGKONG_DEBUG      "1" to turn on Django's debug pages
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("FANGKONG_DATA_DIR", "fangkong-data")).resolve()
MEDIA_ROOT = DATA_DIR / "media"
DEBUG = os.environ.get("FANGKONG_DEBUG", "") == "1"


def _secret_key():
    key = os.environ.get("FANGKONG_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
    except OSError:
        # A read-only data dir (e.g. a one-off command): a per-process key is still safe.
        return secrets.token_urlsafe(50)


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("FANGKONG_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("FANGKONG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "treebeard",
    "simple_history",
    "axes",
    "fangkong.orgs",
    "fangkong.accounts",
    "fangkong.people",
    "fangkong.screening",
    "fangkong.alerts",
    "fangkong.areas",
    "fangkong.leads",
    "fangkong.control",
    "fangkong.sites",
    "fangkong.reports",
    "fangkong.testing",
    "fangkong.vaccination",
    "fangkong.api",
    "fangkong.web",
    "fangkong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangkong.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'fangkong.sqlite3'}",
        conn_max_age=int(os.environ.get("FANGKONG_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The roll-ups are short queries over many rows: the planner's cost estimates cross the JIT
    # threshold, and compiling costs more than it saves (measured by benchmarks/rollup.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "fangkong.accounts.backends.RoleBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Repeated failed logins lock the account (by user name, from any address) for a while.
AXES_FAILURE_LIMIT = int(os.environ.get("FANGKONG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("FANGKONG_LOGIN_LOCK_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
# Offices share one NAT address, so locking by address would lock a whole township out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("FANGKONG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The embedded mode serves static files straight from the apps; `collectstatic` fills
# STATIC_ROOT for a production deployment.
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fangkong API",
    "DESCRIPTION": "防控 — units, people, households, screening, risk areas, leads, regimens, control cases, follow-up, isolation sites and alerts. Every call is limited to the caller's jurisdiction.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name for a choice set used by several fields.
    "ENUM_NAME_OVERRIDES": {
        "MeasureEnum": "fangkong.control.models.Measure",
        "ControlCategoryEnum": "fangkong.control.models.Category",
        "TubeResultEnum": "fangkong.testing.models.Result",
        "CaseTestResultEnum": "fangkong.control.models.TestResult",
    },
}

# Extra alert delivery channels (in-app is always on), e.g. an SMS gateway adapter.
FANGKONG_ALERT_CHANNELS = [c for c in os.environ.get("FANGKONG_ALERT_CHANNELS", "").split(",") if c]
# What one `fangkong worker` pass runs, in order: callables taking `now`, returning counts.
FANGKONG_WORKER_PASSES = [
    "fangkong.leads.services.deadlines.check_deadlines",
    "fangkong.control.services.worker.run_control_pass",
    "fangkong.sites.services.check_capacity",
    "fangkong.reports.services.deadlines.check_report_deadlines",
    "fangkong.reports.services.snapshots.snapshot_pass",
    "fangkong.testing.services.chasing.refresh_located",
    "fangkong.testing.services.frequency.check_testing_overdue",
    "fangkong.alerts.services.escalate_due",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGKONG_LOG_LEVEL", "WARNING")},
}
