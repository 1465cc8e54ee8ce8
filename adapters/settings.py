"""Settings, read once from the environment (and `.env`) by the composition root and passed down.

Names are the original system's, so an existing `.env` keeps working. Every setting can also be given as
`<NAME>_FILE`, the path of a file holding it (how Docker and Kubernetes hand secrets to a process).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class SettingsProblem(ValueError):
    """A setting that cannot be read: the message names it and says what to do."""


class FileSettings(PydanticBaseSettingsSource):
    """`<NAME>_FILE=/path`: the setting NAME read from that file (Docker and Kubernetes secrets), its trailing
    newline dropped; an empty file counts as not given. Giving both NAME and NAME_FILE is refused, as is a file
    that cannot be read."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        environ = {k.upper(): v for k, v in os.environ.items()}
        fields = self.settings_cls.model_fields
        for name in fields:
            variable = f"{name.upper()}_FILE"
            path = environ.get(variable)
            if not path or f"{name}_file" in fields:  # a setting with a file setting of its own reads it itself
                continue
            if environ.get(name.upper()):
                raise SettingsProblem(f"{name.upper()} and {variable} are both set: keep one")
            try:
                with open(path, encoding="utf-8") as file:
                    value = file.read().rstrip("\r\n")
            except OSError as exc:
                raise SettingsProblem(f"{variable}: cannot read {path} ({exc.strerror})") from None
            if value:  # an empty file (a secret left blank) is a setting not given
                found[name] = value
        return found


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, FileSettings(settings_cls), dotenv_settings, file_secret_settings

    # Infrastructure. Empty means "not configured": `splits dev` then runs a local substitute.
    database_url: str | None = None
    rabbitmq_url: str | None = None
    redis_url: str | None = None

    # Clerk: portal (SPLITS_) and candidate (APP_) instances.
    splits_clerk_jwks_url: str | None = None
    splits_clerk_issuer: str | None = None
    splits_clerk_webhook_secret: SecretStr | None = None
    app_clerk_jwks_url: str | None = None
    app_clerk_issuer: str | None = None
    app_clerk_webhook_secret: SecretStr | None = None
    # The origins (`azp`) whose session tokens are accepted, comma-separated; empty: azp is not checked.
    clerk_authorized_parties: str = ""
    # The Clerk Backend API, read when a user's email and its verification must be fresh (registration, a
    # claim, an invitation's acceptance): one secret key per instance; the base URL is Clerk's unless a test
    # points it at a fake.
    clerk_api_url: str = "https://api.clerk.com"
    splits_clerk_secret_key: SecretStr | None = None
    app_clerk_secret_key: SecretStr | None = None
    # Development sign-in: accept `Authorization: Bearer dev:<clerk user id>`. Only under `splits dev`, and
    # never while a Clerk instance is configured (adapters/startup.py refuses the process otherwise).
    splits_dev_auth: bool = False

    # Stripe, Resend, OpenAI.
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: SecretStr | None = None
    # Simulation asked for by name: SPLITS_PAYMENTS=simulated, SPLITS_EMAIL=mailbox, SPLITS_AI=local use the
    # local stand-ins even when a key is set, and let production start without that provider's keys (said
    # loudly at start and in /ready). Unset: the provider when its key is set, else the stand-in, which
    # production refuses (adapters/startup.py).
    splits_payments: Literal["stripe", "simulated"] | None = None
    splits_email: Literal["resend", "mailbox"] | None = None
    splits_ai: Literal["openai", "local"] | None = None
    # Where the Stripe SDK sends its requests; empty means Stripe itself (tests point it at a local fake).
    stripe_api_base: str | None = None
    # The portal's address, for the links Stripe sends people back to (Connect onboarding).
    portal_url: str = "http://localhost:3000"
    # The candidate app's address, for the links in candidates' emails.
    candidate_app_url: str = "http://localhost:3001"
    # The API's public address, for the links that act without signing in (an email's unsubscribe link).
    public_api_url: str = "http://localhost:8000"
    resend_api_key: SecretStr | None = None
    resend_from_email: str = "Splits <notifications@splits.network>"
    resend_candidate_from_email: str = "Splits <notifications@updates.applicant.network>"
    # Where the resend SDK sends its requests (its own variable); empty means Resend itself.
    resend_api_url: str | None = None
    # The signing secret (`whsec_…`) of Resend's webhook (POST /webhooks/resend: deliveries, bounces, complaints).
    resend_webhook_secret: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    # Where the openai SDK sends its requests (its own variable); empty means OpenAI itself.
    openai_base_url: str | None = None

    # Documents: stored under this folder unless an S3-compatible bucket is configured.
    documents_dir: str = ".splits/documents"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_region: str = "us-east-1"

    # Signs invitation links: a candidate invitation's token is HMAC-SHA256(this, invitation id), so whoever
    # sends the email rebuilds the link and no token is stored. Required in production; elsewhere a fixed
    # development secret stands in (with a warning at start-up).
    splits_token_secret: SecretStr | None = None

    # Signs audit bundles (Ed25519, 32 bytes base64); `splits audit keygen` makes one. Required in production.
    audit_signing_key: SecretStr | None = None

    # Personal data: the key-encryption key(s) that wrap each person's data key, `[<id>:]<base64 of 32 bytes>`,
    # comma-separated, the current one first (`splits keys generate` makes one; `splits keys rotate` rewraps
    # every data key with the first). Or a file holding the same. Required in production; elsewhere a
    # development key kept in the database stands in, with a warning.
    splits_data_key: SecretStr | None = None
    splits_data_key_file: Path | None = None
    # How long a process keeps an unwrapped data key before asking the database again (erasure reaches
    # other processes' caches within this time; new personal data for an erased subject is refused at once).
    data_key_cache_s: float = Field(default=5.0, ge=0, le=300)
    # Access exports (`GET /v1/users/me/export`, `splits privacy export`): an export past either bound is refused.
    privacy_export_max_events: int = Field(default=250_000, ge=1)
    privacy_export_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    # Exports a caller may take an hour (beside the gateway's per-minute limit; needs REDIS_URL like every limit).
    privacy_export_per_hour: int = Field(default=10, ge=1)
    # Audit bundles one caller may export an hour (each is heavy), beyond the gateway's per-minute limit.
    audit_export_per_hour: int = Field(default=30, ge=1)
    # Retention (commands/privacy/retention.py), enforced by the scheduler; 0 turns a rule off (kept for good).
    # The periods are the operator's to set from their legal basis; these defaults are a starting point.
    retention_applications_months: int = Field(default=12, ge=0, le=1200)
    retention_dead_letters_days: int = Field(default=30, ge=0, le=36500)
    retention_mailbox_days: int = Field(default=14, ge=0, le=36500)
    retention_notifications_months: int = Field(default=6, ge=0, le=1200)

    # Observability.
    sentry_dsn: str | None = None
    sentry_release: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Unset: one JSON object per line in production, readable lines elsewhere.
    log_format: Literal["console", "json"] | None = None

    # Serving.
    port: int = Field(default=8000, ge=1, le=65535)
    host: str = "127.0.0.1"
    # Prometheus metrics on an internal port of `host`, served by `splits api` (and `splits consumers`),
    # never on the public port; unset: no metrics are served.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    environment: Literal["development", "test", "production"] = "development"

    # Where `splits dev` keeps local state (embedded PostgreSQL data, local mailbox).
    splits_data_dir: Path = Path(".splits")
    # How long a query given a consistency token waits for its read model before answering 503.
    consistency_wait_s: float = Field(default=5.0, ge=0, le=60)
    # RabbitMQ names: every exchange and queue starts with this prefix.
    rabbitmq_prefix: str = "splits"
    events_log_max_age: str = "7D"
    # Gateway: requests per minute per signed-in user and per IP without a token; per-route limits as
    # JSON, e.g. RATE_LIMIT_ROUTES='{"POST /v1/jobs": 60}'. Access contexts and anonymous catalogue
    # reads are cached in Redis this long (REDIS_URL unset: no limits, no cache).
    rate_limit_per_user: int = Field(default=500, ge=1)
    rate_limit_per_ip: int = Field(default=100, ge=1)
    rate_limit_routes: dict[str, int] = Field(default_factory=dict)
    # Proxies whose `X-Forwarded-For` names the caller (addresses or networks, comma-separated, e.g.
    # "10.0.0.0/8"); empty: none, the socket's address is the caller's, whatever a header says.
    trusted_proxies: str = ""
    access_cache_ttl_s: float = Field(default=30, gt=0, le=600)
    catalogue_cache_ttl_s: float = Field(default=10, ge=0, le=600)
    # Live updates (GET /v1/stream, adapters/live.py): a keep-alive comment every `live_keepalive_s` (a user stays
    # present for 3 of them), each user's backlog for Last-Event-ID (entries, and seconds it is kept after the
    # last), open streams per user, and how long one stream lasts before the client is asked to reconnect.
    live_keepalive_s: float = Field(default=15, gt=0, le=300)
    live_backlog: int = Field(default=200, ge=10, le=10_000)
    live_backlog_ttl_s: int = Field(default=3600, ge=60, le=86_400)
    live_max_connections_per_user: int = Field(default=5, ge=1, le=100)
    live_stream_max_s: float = Field(default=900, gt=0, le=86_400)
    # A chat message to someone not on the stream is emailed once per conversation per this many seconds.
    chat_email_quiet_s: int = Field(default=900, ge=60, le=86_400)
    # Database connections per process.
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    # Messages each reactor queue hands a consumers process at once (its RabbitMQ prefetch). The process runs
    # this × its reactor queues handlers at once, each holding at most one database connection at a time, so
    # its pool is sized from this alone: one connection per handler, per projector, for the relay and for the
    # status reports. DB_POOL_MAX, when set, must leave room for that; the process refuses to start otherwise.
    consumer_prefetch: int = Field(default=2, ge=1, le=100)
    # This process's name in `splits status` (relay instances report each under its own); empty: host:pid.
    instance_id: str = ""
    # Moves every clock of the system forward by this much (an ISO 8601 duration, e.g. P90D or PT36H), to
    # walk a guarantee period through in staging (adapters/clock.py). Refused in production.
    splits_clock_offset: timedelta = timedelta(0)



    @property
    def development(self) -> bool:
        """The mode of `splits dev`: development sign-in, the mailbox, the fixed token secret. Every other
        command runs as production unless ENVIRONMENT says test (infra/cli.py)."""
        return self.environment == "development"

    @property
    def logs_as(self) -> Literal["console", "json"]:
        return self.log_format or ("json" if self.environment == "production" else "console")

    @property
    def authorized_parties(self) -> list[str]:
        return [origin.strip() for origin in self.clerk_authorized_parties.split(",") if origin.strip()]


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; explicit overrides (from CLI flags, tests) win."""
    return Settings(**overrides)  # type: ignore[arg-type]
