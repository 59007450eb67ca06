"""Settings come from the environment only (twelve-factor); every one is documented in README.md."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ideaboard import i18n
from ideaboard.i18n import gettext as _

MODELS = ["ideaboard.models"]


TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
# Inclusive ranges of the number settings; any other number setting must be 0 or more.
LIMITS = {
    "page_size": (1, 200),
    "login_attempts_per_minute": (1, 1_000_000),
    "ideas_per_hour": (1, 1_000_000),
    "page_cache_seconds": (0, 86_400),
    "cluster_interval_minutes": (1, 7 * 24 * 60),
    "smtp_port": (1, 65_535),
    "x_deadline_seconds": (1, 3600),
    "x_monthly_read_budget": (0, 1_000_000_000),
    "x_max_rules": (1, 1000),
    "x_rule_max_length": (64, 4096),
    "digest_hour": (0, 23),
    "live_stream_seconds": (1, 3600),
    "auto_hide_reports": (0, 1000),
    "premoderate_first_posts": (0, 1000),
    "auto_archive_months": (0, 1200),
    "spam_hold_score": (1, 101),
}
URL_SCHEMES = {
    "base_url": ("http", "https"),
    "x_api_base_url": ("http", "https"),
    "zendesk_api_base_url": ("http", "https"),
    "database_url": ("sqlite", "postgres", "postgresql", "asyncpg"),
    "redis_url": ("redis", "rediss", "unix"),
}
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SettingsError(ValueError):
    """Bad configuration: every problem found, each naming its environment variable and what it accepts, in the
    operator's language (`locale`, read from the environment's LC_ALL / LC_MESSAGES / LANG)."""

    def __init__(self, problems: list[str], locale: str = i18n.DEFAULT) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.locale = locale


def _bool(value: str) -> bool:
    return value.strip().lower() in TRUE


def _parse(name: str, raw: str, default: Any) -> Any:
    """One environment value as its field's type; ValueError says what the variable accepts."""
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() not in TRUE | FALSE:
            raise ValueError(_("use true or false (or 1/0, yes/no, on/off)"))
        return text.lower() in TRUE
    if isinstance(default, int):
        low, high = LIMITS.get(name, (0, 2**31 - 1))
        if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()) or not low <= int(text) <= high:
            raise ValueError(_("use a whole number from %(low)s to %(high)s", low=i18n.number(low),
                               high=i18n.number(high)))
        return int(text)
    if isinstance(default, tuple):
        return _list(raw)
    if name in URL_SCHEMES and text:
        _check_url(text, URL_SCHEMES[name])
    return raw


def _check_url(url: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise ValueError(_("the port is not a number")) from None
    if parts.scheme not in schemes:
        starts = [s + "://" for s in schemes]
        raise ValueError(_("use a URL starting with %(some)s or %(last)s", some=", ".join(starts[:-1]),
                           last=starts[-1]))
    if parts.scheme not in ("sqlite", "unix") and not parts.hostname:
        raise ValueError(_("the URL has no host name"))


def _valid_store_url(url: str) -> bool:
    """`s3://bucket` or `s3://bucket/prefix` (empty: the data dir)."""
    parts = urlsplit(url)
    return not url or (parts.scheme == "s3" and bool(parts.netloc) and not parts.query and not parts.fragment)


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())


def _read(cls: type[Settings], env: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Every field set in `env`, parsed, and every problem with them (all at once: one restart fixes them all)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(cls):
        raw = env.get(env_name(f.name))
        if raw is None:
            continue
        try:
            values[f.name] = _parse(f.name, raw, f.default)
        except ValueError as exc:
            problems.append(_("%(name)s=%(value)s is not valid: %(why)s.", name=env_name(f.name), value=repr(raw),
                              why=exc))
    bad_domains = [d for d in values.get("employee_domains", ()) if not DOMAIN.match(d)]
    if bad_domains:
        problems.append(_("%(name)s has %(domains)s: use domain names separated by commas, like "
                          "example.com,shop.example.com.", name=env_name("employee_domains"),
                          domains=", ".join(map(repr, bad_domains))))
    if not _valid_store_url(values.get("image_store", "")):
        problems.append(_("%(name)s must look like s3://bucket or s3://bucket/prefix (unset keeps pictures in the "
                          "data dir).", name=env_name("image_store")))
    problems += _zendesk_problems(values)
    problems += _listening_problems(values)
    return values, problems


@dataclass(frozen=True)
class Settings:
    """All runtime configuration; build it with `Settings.from_env()`."""

    data_dir: str = "data"
    image_store: str = ""  # s3://bucket/prefix for an S3-compatible store (ideaboard/picture_store.py); "" the data dir
    s3_endpoint_url: str = ""  # MinIO, Ceph, R2…: the bucket's endpoint; "" for AWS itself
    s3_region: str = ""
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = field(default="", repr=False)
    base_url: str = "http://127.0.0.1:8000"
    site_name: str = "ideaboard"
    employee_domains: tuple[str, ...] = ()
    https_only: bool = False
    debug: bool = False
    login_attempts_per_minute: int = 10
    login_attempts_per_ip_per_hour: int = 100
    login_failures_per_account_per_hour: int = 20
    ideas_per_hour: int = 10
    signups_per_hour: int = 10
    password_resets_per_hour: int = 10
    comments_per_minute: int = 10
    edits_per_minute: int = 10
    votes_per_minute: int = 60
    reports_per_hour: int = 20
    follows_per_minute: int = 30
    searches_per_minute: int = 60
    api_requests_per_minute: int = 120
    webhooks_allow_private: bool = False
    rate_limit_ip_multiplier: int = 5
    auto_hide_reports: int = 5
    premoderate_first_posts: int = 0
    auto_archive_months: int = 0
    spam_hold_score: int = 80
    page_size: int = 20
    page_cache_seconds: int = 5
    cluster_interval_minutes: int = 30
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "ideaboard@localhost"
    digest_hour: int = 7
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    x_api_base_url: str = "https://api.x.com"
    x_authorize_url: str = "https://x.com/i/oauth2/authorize"
    x_client_id: str = ""
    x_client_secret: str = field(default="", repr=False)
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_button_label: str = "your company account"
    x_bearer_token: str = field(default="", repr=False)
    x_user_token: str = field(default="", repr=False)
    x_tweets_file: str = ""
    x_brand_handles: tuple[str, ...] = ()
    x_brand_keywords: tuple[str, ...] = ()
    x_brand_user_id: str = ""
    x_monthly_read_budget: int = 10_000
    x_max_rules: int = 5
    x_rule_max_length: int = 512
    x_lang: str = "en"
    x_deadline_seconds: int = 30
    live_stream_seconds: int = 300
    zendesk_subdomain: str = ""
    zendesk_email: str = ""
    zendesk_api_token: str = field(default="", repr=False)
    zendesk_api_base_url: str = ""  # tests and sandboxes; empty: https://{ZENDESK_SUBDOMAIN}.zendesk.com

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from its upper-case environment variable (IDEABOARD_ prefix for ours)."""
        env = os.environ if environ is None else environ
        locale = i18n.from_environment(env)
        with i18n.speaking(locale):  # the problems in the operator's language
            values, problems = _read(cls, env)
        if problems:
            raise SettingsError(problems, locale)
        values.update(overrides)
        settings = cls(**values)
        return settings.with_defaults()

    def with_defaults(self) -> Settings:
        """Fill the embedded defaults: a SQLite file and a persisted secret key in the data dir."""
        data = Path(self.data_dir)
        url = self.database_url or f"sqlite://{data / 'ideaboard.sqlite3'}"
        key = self.secret_key or _persisted_secret(data)
        return _replace(self, database_url=url, secret_key=key)

    @property
    def zendesk_enabled(self) -> bool:
        return bool(self.zendesk_subdomain and self.zendesk_email and self.zendesk_api_token)

    @property
    def zendesk_url(self) -> str:
        """Where the Tickets API lives: the account's own host unless a base URL is set."""
        return (self.zendesk_api_base_url or f"https://{self.zendesk_subdomain}.zendesk.com").rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def tortoise_config(self) -> dict[str, Any]:
        """Tortoise config with the built-in migrations module named (else `migrate` finds nothing)."""
        return tortoise_config(self.database_url)


ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "secret_key": "SECRET_KEY",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_from": "SMTP_FROM",
    "smtp_starttls": "SMTP_STARTTLS",
    "smtp_username": "SMTP_USERNAME",
    "smtp_password": "SMTP_PASSWORD",
    "x_api_base_url": "X_API_BASE_URL",
    "x_authorize_url": "X_AUTHORIZE_URL",
    "x_client_id": "X_CLIENT_ID",
    "x_client_secret": "X_CLIENT_SECRET",
    "oidc_issuer": "OIDC_ISSUER",
    "oidc_client_id": "OIDC_CLIENT_ID",
    "oidc_client_secret": "OIDC_CLIENT_SECRET",
    "oidc_button_label": "OIDC_BUTTON_LABEL",
    "x_bearer_token": "X_BEARER_TOKEN",
    "x_user_token": "X_USER_TOKEN",
    "x_tweets_file": "X_TWEETS_FILE",
    "x_brand_handles": "X_BRAND_HANDLES",
    "x_brand_keywords": "X_BRAND_KEYWORDS",
    "x_brand_user_id": "X_BRAND_USER_ID",
    "x_monthly_read_budget": "X_MONTHLY_READ_BUDGET",
    "x_max_rules": "X_MAX_RULES",
    "x_rule_max_length": "X_RULE_MAX_LENGTH",
    "x_lang": "X_LANG",
    "x_deadline_seconds": "X_DEADLINE_SECONDS",
    "zendesk_subdomain": "ZENDESK_SUBDOMAIN",
    "zendesk_email": "ZENDESK_EMAIL",
    "zendesk_api_token": "ZENDESK_API_TOKEN",
    "zendesk_api_base_url": "ZENDESK_API_BASE_URL",
}
ZENDESK_SUBDOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _zendesk_problems(values: Mapping[str, Any]) -> list[str]:
    """The help desk needs all three of subdomain, agent email and API token, each well-formed."""
    names = ("zendesk_subdomain", "zendesk_email", "zendesk_api_token")
    given = {name: str(values.get(name, "")).strip() for name in names}
    if not any(given.values()):
        return []
    problems = []
    if missing := [env_name(n) for n in names if not given[n]]:
        problems.append(_("%(names)s must be set too: the help desk needs ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and "
                          "ZENDESK_API_TOKEN together.", names=", ".join(missing)))
    if given["zendesk_subdomain"] and not ZENDESK_SUBDOMAIN.match(given["zendesk_subdomain"]):
        problems.append(_("ZENDESK_SUBDOMAIN=%(value)s is not valid: use the account's subdomain only, like acme for "
                          "acme.zendesk.com.", value=repr(given["zendesk_subdomain"])))
    if given["zendesk_email"] and not EMAIL.match(given["zendesk_email"]):
        problems.append(_("ZENDESK_EMAIL=%(value)s is not valid: use the email address of the Zendesk agent the "
                          "token belongs to.", value=repr(given["zendesk_email"])))
    return problems


def _listening_problems(values: Mapping[str, Any]) -> list[str]:
    """Brand words become X rule keywords and the mentions account is a numeric X user id."""
    problems = []
    bad = [k for k in values.get("x_brand_keywords", ()) if not re.fullmatch(r"[\w][\w '&.-]{0,59}", k)
           or k.upper() == "OR"]
    if bad:
        problems.append(_("X_BRAND_KEYWORDS has %(words)s: use words or short phrases (letters, digits, spaces, "
                          "' & . -; at most 60 characters each) separated by commas, like brewline,brew line.",
                          words=", ".join(map(repr, bad))))
    user_id = str(values.get("x_brand_user_id", "")).strip()
    if user_id and not re.fullmatch(r"[0-9]{1,19}", user_id):
        problems.append(_("X_BRAND_USER_ID=%(value)s is not valid: use the brand account's numeric X user id (not "
                          "its @handle), like 2244994945.", value=repr(user_id)))
    return problems


def env_name(field_name: str) -> str:
    """The environment variable that sets a field (documented in README.md)."""
    return ENV_NAMES.get(field_name, "IDEABOARD_" + field_name.upper())


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


def _persisted_secret(data: Path) -> str:
    """A random key kept in the data dir, so a laptop install needs no setup and sessions survive restarts."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The ORM config shared by the app, the worker and the `tortoise` CLI."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {"models": {"models": MODELS, "default_connection": "default", "migrations": "ideaboard.migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


# A page's reads are index lookups of a few milliseconds: a parallel plan's workers took longer to start than the
# read took (10-16 ms of a 1M-idea board's tag filter, more on a busy machine), and JIT compiling a plan Postgres
# guesses to be large costs tens of milliseconds before it runs. Off for our connections only (issue 19).
PG_SESSION = {"max_parallel_workers_per_gather": "0", "jit": "off"}


def _connection(database_url: str) -> str | dict[str, Any]:
    """Postgres gets a fair pool whose connections skip asyncpg's reset round trip on release (README's profiler notes)
    and start with PG_SESSION; SQLite gets WAL, a busy timeout and write-locking transactions (ideaboard/sqliteconn.py:
    issue 12)."""
    from tortoise.backends.base.config_generator import expand_db_url

    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        config = expand_db_url(database_url)
        config["engine"] = "ideaboard.sqliteconn"
        return config
    if not database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return database_url
    from ideaboard.pgconn import NoResetConnection

    config = expand_db_url(database_url)
    config["engine"] = "ideaboard.pgconn"  # Tortoise's asyncpg client over a fair pool
    config["credentials"]["connection_class"] = NoResetConnection
    config["credentials"]["server_settings"] = {**PG_SESSION, **config["credentials"].get("server_settings", {})}
    return config


def _cli_config() -> dict[str, Any]:
    data_dir = Path(os.environ.get("IDEABOARD_DATA_DIR", "data"))
    url = os.environ.get("DATABASE_URL") or f"sqlite://{data_dir}/ideaboard.sqlite3"
    return tortoise_config(url)


def __getattr__(name: str) -> Any:
    """`TORTOISE_ORM`, the `tortoise` CLI's config (pyproject.toml), is read from the environment when asked for."""
    if name == "TORTOISE_ORM":
        return _cli_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
