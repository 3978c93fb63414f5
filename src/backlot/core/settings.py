"""Every knob of the service, read once at startup from `BACKLOT_*` variables or `.env`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDED_DATABASE_URL = "sqlite+aiosqlite:///./var/backlot.db"


def secret_value(secret: SecretStr | None) -> str | None:
    """The plain text of an optional secret setting, for the factory that uses it."""
    return secret.get_secret_value() if secret is not None else None


class Shape(StrEnum):
    """Which deployment shape the settings describe (DESIGN.md § 1)."""

    embedded = "embedded"
    scaled = "scaled"


class Settings(BaseSettings):
    """One place for configuration; the README's settings table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="BACKLOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        EMBEDDED_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    redis_url: str | None = Field(
        None, description="Redis URL; set it to run the scaled shape (locks, bus, presence)."
    )
    redis_prefix: str = Field(
        "",
        pattern=r"^[A-Za-z0-9_.:\-]*$",
        description="Prefix of every Redis key and channel, so instances can share one Redis.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description=(
            "Key signing access tokens. Required outside the embedded shape; the embedded "
            "shape generates one into <var_dir>/secret.key on first start."
        ),
    )
    var_dir: Path = Field(Path("var"), description="Directory for embedded-shape state.")
    storage_url: str | None = Field(
        None,
        description=(
            "Where files go: a directory (path or file:///path; default <var_dir>/objects) "
            "or s3://bucket[/prefix] for S3-compatible storage."
        ),
    )
    s3_endpoint_url: str | None = Field(
        None, description="S3 endpoint for non-AWS storage, e.g. http://127.0.0.1:8333."
    )
    s3_region: str = Field("us-east-1", description="S3 region.")
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    host: str = Field("127.0.0.1", description="Address `backlot serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `backlot serve` binds.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description=(
            "Comma-separated addresses (or networks) of the proxies trusted to say who the "
            "client is (X-Forwarded-For/-Proto); per-address rate limits and seats count that "
            "client. '*' trusts everyone: only when nothing but the proxy can reach the service."
        ),
    )
    auto_migrate: bool = Field(
        True, description="`backlot serve` upgrades the schema to head before starting."
    )
    allow_registration: bool = Field(
        True, description="Whether anyone may create an account with POST /v1/auth/register."
    )
    require_email_verification: bool = Field(
        False,
        description="Refuse password sign-in (403 email_not_verified) until the email is verified.",
    )
    smtp_url: SecretStr | None = Field(
        None,
        description=(
            "Mail server: smtp://user:password@host:587 (STARTTLS when offered) or "
            "smtps://user:password@host:465. Unset: each mail is written to "
            "<var_dir>/mail/ as an .eml file and the log names the file."
        ),
    )
    mail_from: str = Field(
        "Backlot <no-reply@localhost>", min_length=3, description="From address of our mails."
    )
    email_verification_ttl_hours: float = Field(
        48, gt=0, le=720, description="How long an email verification link works."
    )
    password_reset_ttl_minutes: float = Field(
        30, gt=0, le=1440, description="How long a password reset link works."
    )
    refresh_reuse_grace_seconds: float = Field(
        30,
        ge=0,
        le=300,
        description=(
            "A refresh token presented again this soon after its rotation (two tabs at "
            "once) gets the same new pair; later reuse revokes the sign-in."
        ),
    )
    login_rate_limit: str = Field(
        "5/minute;20/hour",
        description=(
            "Failed sign-ins per account and client address (`limits` notation); beyond "
            "it even the right password is refused (429) from that address."
        ),
    )
    login_account_rate_limit: str = Field(
        "100/hour",
        description=(
            "Failed sign-ins per account from all addresses together; set above what one "
            "address may spend, so one client alone cannot lock the owner out."
        ),
    )
    auth_address_rate_limit: str = Field(
        "100/minute;2000/hour",
        description=(
            "Requests per client address to each of login, logout, register, refresh, "
            "password reset and email verification (`limits` notation)."
        ),
    )
    mail_rate_limit: str = Field(
        "2/hour;10/day",
        description=(
            "Mails asked for one address from one client address: password reset requests "
            "and verification resends beyond it are refused (429); register notices to an "
            "existing owner are not sent."
        ),
    )
    mail_address_rate_limit: str = Field(
        "50/day",
        description="Mails asked for one address from all client addresses together.",
    )
    user_admin_rate_limit: str = Field(
        "30/hour;200/day",
        description=(
            "User creations and email changes per acting corporation admin (the answer "
            "tells whether an address has an account, and each mails it); not the superuser."
        ),
    )

    @field_validator(
        "login_rate_limit",
        "login_account_rate_limit",
        "auth_address_rate_limit",
        "mail_rate_limit",
        "mail_address_rate_limit",
        "user_admin_rate_limit",
    )
    @classmethod
    def _limits_notation(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit in `limits` notation: {value!r}") from exc
        return value

    access_token_ttl_seconds: int = Field(900, ge=30, description="Access JWT lifetime.")
    refresh_token_ttl_days: int = Field(30, ge=1, description="Refresh token lifetime.")
    jwt_issuer: str = Field("backlot", description="`iss` of the access tokens we issue.")
    google_client_id: str | None = Field(
        None, description="OAuth client id; the `aud` Google ID tokens must carry."
    )
    google_issuers: list[str] = Field(
        ["https://accounts.google.com", "accounts.google.com"],
        description="Accepted `iss` values of Google ID tokens.",
    )
    google_jwks_url: str = Field(
        "https://www.googleapis.com/oauth2/v3/certs",
        description="Where Google's signing keys (JWKS) are fetched from.",
    )
    cors_origins: list[str] = Field(
        [], description="Origins allowed to call the API from a browser (CORS)."
    )
    max_request_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted (uploads set their own)."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description=(
            "Bearer token Prometheus must send to read /metrics; unset, /metrics answers 404."
        ),
    )
    docs_enabled: bool = Field(
        True, description="Serve the API docs: /docs, /redoc and /openapi.json."
    )
    upload_temp_max_age_seconds: float = Field(
        3600,
        ge=60,
        le=7 * 86400,
        description=(
            "Partial upload files (a crash mid-upload) older than this are removed from "
            "<objects>/tmp, at start and periodically (local object store)."
        ),
    )
    upload_temp_sweep_interval_seconds: float = Field(
        600, gt=0, le=86400, description="How often <objects>/tmp is swept of partial uploads."
    )
    db_pool_size: int = Field(10, ge=1, description="Connections per process (PostgreSQL).")
    auth_cache_seconds: float = Field(
        2,
        ge=0,
        le=60,
        description=(
            "Hot paths (labeling locks) reuse a user's role and corporation, and a "
            "project's owner, this long; a change made by another process is seen within "
            "it (the same process sees it at once). 0 reads them on every request."
        ),
    )
    labeling_lock_ttl_seconds: float = Field(
        60,
        gt=0,
        le=86400,
        description="A labeling file lock lapses this long after its last renewal.",
    )
    video_max_upload_bytes: int = Field(
        2 * 1024**3, ge=1024, description="Largest video file an upload may carry."
    )
    video_stream_token_ttl_seconds: float = Field(
        7200,
        gt=0,
        le=86400,
        description="Lifetime of a stream URL's token (one video, one user).",
    )
    video_url_allowed_hosts: list[str] = Field(
        [],
        description=(
            "Hosts of external video URLs exempt from the public-address rule "
            "(an internal media server you trust): `host` means the scheme's default "
            "port, `host:port` (`[v6]:port`) that port only."
        ),
    )
    video_accel_redirect_prefix: str | None = Field(
        None,
        description=(
            "Set (e.g. /_protected/objects/) when nginx fronts the service and the object "
            "store is local: streams of uploaded videos are answered with X-Accel-Redirect "
            "and nginx sends the bytes (see deploy/nginx.conf)."
        ),
    )
    video_deleted_retention_days: int = Field(
        30,
        ge=1,
        le=3650,
        description=(
            "Soft-deleted videos' stored files are purged this many days after the "
            "deletion; a purged video can no longer be restored."
        ),
    )
    video_purge_interval_seconds: float = Field(
        3600,
        gt=0,
        le=86400,
        description="How often deleted videos past their retention are purged (one per tick).",
    )
    video_idempotency_key_ttl_seconds: float = Field(
        86400,
        gt=0,
        le=30 * 86400,
        description=(
            "How long an upload's Idempotency-Key answers a retry with the same video "
            "(per user); after that the key may be used again."
        ),
    )
    plan_check_interval_seconds: float = Field(
        60,
        gt=0,
        le=86400,
        description="How often lapsed paid plans are turned to free (one process per tick).",
    )
    labeling_max_image_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest image a labeling project accepts."
    )
    labeling_disconnect_grace_seconds: float = Field(
        5, ge=0, le=3600, description="How long a vanished socket's locks are kept (page reloads)."
    )
    labeling_socket_messages_per_second: float = Field(
        5, gt=0, description="Sustained events per second one labeling Socket.IO client may send."
    )
    labeling_socket_message_burst: int = Field(
        20,
        ge=1,
        description="Events a labeling socket may send at once; a flood gets rate_limited and is "
        "disconnected.",
    )
    labeling_audit_retention_days: int = Field(
        90, ge=1, le=36500, description="Lock audit rows older than this are deleted (hourly)."
    )
    labeling_max_labels: int = Field(
        200, ge=1, le=10_000, description="Most labels a labeling project's label set may have."
    )
    labeling_max_shapes: int = Field(
        2000, ge=1, le=100_000, description="Most shapes one saved annotation may have."
    )
    labeling_max_polygon_points: int = Field(
        1000, ge=3, le=100_000, description="Most points one annotation polygon may have."
    )
    labeling_max_attribute_bytes: int = Field(
        2048, ge=2, le=1_000_000, description="Largest `attributes` of one shape, as JSON bytes."
    )
    workspace_lock_ttl_seconds: float = Field(
        30,
        gt=0,
        le=3600,
        description="A workspace block lock lapses this long after its last renewal.",
    )
    workspace_idle_timeout_seconds: float = Field(
        60,
        gt=0,
        le=3600,
        description="A workspace socket silent this long (not even HEARTBEAT) is closed (4408).",
    )
    workspace_default_max_users: int = Field(
        20, ge=1, le=1000, description="max_users of rooms created by a first visitor's connect."
    )
    workspace_max_message_bytes: int = Field(
        1_048_576,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest workspace message (workspaceXml included); bigger ones close 1009.",
    )
    workspace_messages_per_second: float = Field(
        20, gt=0, description="Sustained messages per second one workspace socket may send."
    )
    workspace_message_burst: int = Field(
        60, ge=1, description="Messages a workspace socket may send at once; a flood closes 1008."
    )
    workspace_max_locks_per_client: int = Field(
        16, ge=1, le=1000, description="Blocks one workspace client may hold locked at once."
    )
    workspace_rooms_on_connect: Literal["off", "signed_in", "anyone"] = Field(
        "off",
        description="Who creates a workspace room by connecting to an unknown id: off (REST "
        "only), signed_in, or anyone (seed 002's anonymous get-or-create; closed deployments).",
    )
    workspace_max_rooms_per_user: int = Field(
        50, ge=1, le=100_000, description="Workspace rooms one user may create (403 beyond)."
    )
    workspace_max_seats_per_client: int = Field(
        4,
        ge=1,
        le=1000,
        description="Seats of one room one client address (anonymous) or user may take (4429).",
    )
    workspace_ticket_seconds: float = Field(
        30,
        gt=0,
        le=600,
        description="How long a workspace join ticket (POST .../ticket) stays usable, once.",
    )
    workspace_room_snapshot_quota_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        description="Compressed snapshot bytes one workspace room may keep (quota_exceeded).",
    )
    workspace_snapshot_keep_all_hours: float = Field(
        24, ge=0, le=24 * 365, description="Every workspace snapshot this recent is kept."
    )
    workspace_snapshot_keep_hourly_days: float = Field(
        7, ge=0, le=3650, description="Older snapshots: one per hour this far back, then daily."
    )
    workspace_retention_interval_seconds: float = Field(
        3600, ge=1, le=86_400, description="How often the snapshot retention job runs."
    )
    dubbing_max_upload_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest recording (or reference audio) accepted."
    )
    dubbing_max_audio_seconds: float = Field(
        60, gt=0, le=600, description="Longest recording (or reference audio) accepted."
    )
    dubbing_audio_token_ttl_seconds: float = Field(
        3600,
        gt=0,
        le=86400,
        description="Lifetime of the tokens in reference-audio and progress URLs.",
    )
    dubbing_popular_cache_seconds: float = Field(
        30, ge=0, le=3600, description="How long the ?sort=popular script list is cached."
    )
    dubbing_job_timeout_seconds: float = Field(
        120, gt=0, le=3600, description="One analysis may run this long before it counts as failed."
    )
    dubbing_max_tries: int = Field(
        3, ge=1, le=20, description="Tries of one job (retries with backoff), then `failed`."
    )
    dubbing_stale_job_seconds: float = Field(
        60,
        gt=0,
        le=3600,
        description="A running job whose worker has not reported this long is taken back.",
    )
    dubbing_reaper_interval_seconds: float = Field(
        15, gt=0, le=3600, description="How often stale jobs are looked for (one process per tick)."
    )
    dubbing_analysis_processes: int = Field(
        1, ge=1, le=64, description="Processes analysing audio beside each worker's event loop."
    )
    dubbing_max_active_jobs_per_user: int = Field(
        5,
        ge=1,
        le=1000,
        description="Attempts one user may have queued or running; beyond, 429 too_many_jobs.",
    )
    dubbing_queue_poll_seconds: float = Field(
        2,
        gt=0,
        le=60,
        description="How often a worker with a free analysis slot looks for queued jobs.",
    )
    dubbing_weight_pronunciation: float = Field(0.4, ge=0, description="Weight in `overall`.")
    dubbing_weight_intonation: float = Field(0.25, ge=0, description="Weight in `overall`.")
    dubbing_weight_emotion: float = Field(0.15, ge=0, description="Weight in `overall`.")
    dubbing_weight_timing: float = Field(0.2, ge=0, description="Weight in `overall`.")
    dubbing_analyzer: Literal["builtin", "external"] = Field(
        "builtin",
        description=(
            "builtin: the worker scores recordings itself; external: it sends them to "
            "BACKLOT_DUBBING_ANALYZER_URL, which answers on the signed webhook."
        ),
    )
    dubbing_analyzer_url: str | None = Field(
        None, description="The external analysis server's endpoint (POST, signed)."
    )
    dubbing_webhook_secret: SecretStr | None = Field(
        None,
        description=(
            "Standard Webhooks secret (whsec_<base64>) shared with the analysis server: "
            "signs our requests, verifies its webhooks. Required with the external analyzer."
        ),
    )
    dubbing_webhook_old_secrets: list[SecretStr] = Field(
        [], description="Secrets still accepted on incoming webhooks while keys rotate."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where others (the analysis server) reach this service, for callbacks.",
    )
    lock_sweep_interval_seconds: float = Field(
        1, gt=0, le=60, description="How often each process sweeps lapsed locks."
    )
    socket_ping_interval_seconds: float = Field(
        25,
        gt=0,
        le=300,
        description="Socket.IO ping interval (how soon a vanished browser is noticed).",
    )
    socket_ping_timeout_seconds: float = Field(
        20, gt=0, le=300, description="Socket.IO ping timeout."
    )
    event_window: int = Field(
        1000, ge=10, description="Events per channel kept for reconnecting clients."
    )
    shutdown_timeout_seconds: float = Field(
        10, gt=0, le=600, description="On SIGTERM, connections still open after this are closed."
    )
    log_level: str = Field("info", description="Log level of the service.")

    @model_validator(mode="after")
    def _external_analyzer_is_configured(self) -> Settings:
        if self.dubbing_analyzer == "external" and (
            not self.dubbing_analyzer_url or self.dubbing_webhook_secret is None
        ):
            raise ValueError(
                "the external analyzer needs BACKLOT_DUBBING_ANALYZER_URL and "
                "BACKLOT_DUBBING_WEBHOOK_SECRET"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def shape(self) -> Shape:
        if self.is_sqlite and self.redis_url is None:
            return Shape.embedded
        return Shape.scaled
