"""Configuration from the environment (``KOMMODORE_*``), twelve-factor style."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    """How webhooks are delivered; the defaults are Kommo's rules."""

    model_config = SettingsConfigDict(
        env_prefix="KOMMODORE_WEBHOOK_", env_file=".env", extra="ignore"
    )

    retry_scale: float = Field(default=1.0, ge=0)
    """Multiplies Kommo's retry delays (5 min, 15 min, 15 min, 1 h): 0.001 turns them into
    0.3 s, 0.9 s, 0.9 s, 3.6 s for tests and local development."""

    timeout_seconds: float = Field(default=2.0, gt=0)
    """A receiver's whole answer must arrive within this (connect, send, read: one deadline)."""

    worker_in_process: bool = True
    """``kommodore serve`` runs a delivery worker inside each server process; ``false`` leaves
    delivery to ``kommodore worker`` processes."""

    poll_interval_seconds: float = Field(default=0.5, gt=0)
    """How often an idle worker looks for due deliveries."""

    batch_size: int = Field(default=50, ge=1, le=1000)
    """Deliveries one worker claims at once and sends concurrently."""

    lease_seconds: float = Field(default=30.0, gt=0)
    """How long a claim keeps other workers off a delivery. A worker that dies holding one
    lets it go after this; it must exceed the time a batch takes (about ``timeout_seconds``)."""

    retention_days: float = Field(default=7.0, ge=0)
    """Delivered and failed deliveries older than this are purged; 0 keeps them forever."""

    outbox_max_deliveries: int = Field(default=100_000, ge=1)
    """The outbox's row budget across the installation: past it the worker purges the oldest
    delivered and failed deliveries, then, with a warning, the oldest pending ones."""

    outbox_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    """The outbox's budget of stored body bytes (each batch's body once, however many
    webhooks it goes to): past it the oldest bodies go, with their deliveries; a warning
    counts the undelivered ones."""


class Settings(BaseSettings):
    """Every knob the server reads; a ``.env`` file is honoured for development only."""

    model_config = SettingsConfigDict(env_prefix="KOMMODORE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./kommodore-data")
    """Holds the SQLite file and the generated JWT signing key."""

    database_url: str | None = None
    """``postgresql://user@host/db`` for PostgreSQL; unset means SQLite in ``data_dir``."""

    database_pooler: Literal["none", "pgbouncer"] = "none"
    """What stands between the app and PostgreSQL. ``pgbouncer`` (transaction pooling, before
    PgBouncer 1.21's ``max_prepared_statements``): statements are sent unnamed, parsed with
    each execution in the same round trip, so any server connection can run them; their
    parameter and row types are still described once per client connection and kept."""

    base_domain: str = "localhost"
    """Hosts ``{subdomain}.{base_domain}`` select their account; any other Host uses the token's."""

    api_domain: str | None = None
    """The ``api_domain`` claim of issued tokens; defaults to ``base_domain``."""

    jwt_private_key: str | None = None
    """PEM of the RS256 signing key; every app server behind one balancer must share it.
    Unset: generated on first start into ``data_dir/jwt-signing-key.pem``."""

    trust_forwarded_headers: bool = False
    """Build ``_links`` from ``X-Forwarded-Proto``/``X-Forwarded-Host`` (behind a proxy)."""

    log_format: Literal["console", "json"] | None = None
    """Unset: ``json`` in production mode, ``console`` otherwise."""

    log_level: str = "info"

    access_log: bool | None = None
    """One log line per request. Unset: on in development, off in production mode (it costs
    a few percent of throughput)."""

    redis_url: str | None = None
    """``redis://host:6379/0``: rate-limit counters in Redis. Unset: in the database."""

    rate_limit_enabled: bool = True
    """Kommo's request limit, on by default so an integration that Kommo would block is
    blocked here too; ``false`` (or ``serve --no-rate-limit``) turns it off."""

    rate_limit_per_second: int = Field(default=7, ge=1)
    """Requests a second per integration and account (fixed one-second windows); more: 429."""

    rate_limit_block_after: int = Field(default=100, ge=0)
    """429s within ``rate_limit_strike_window_seconds`` that block the integration in the
    account (every request 403 for ``rate_limit_block_seconds``); 0 never blocks."""

    rate_limit_strike_window_seconds: int = Field(default=60, ge=1)

    rate_limit_block_seconds: int = Field(default=300, ge=1)
    """How long a block lasts (Kommo's 429 example carries ``retry_after: 300``)."""

    rate_limit_redis_prefix: str = "kommodore:rl:"
    """Key prefix in Redis, so several installations can share one Redis server."""

    header_timeout_seconds: float = Field(default=10.0, gt=0)
    """A request's line and headers must arrive within this; slower connections are closed."""

    max_connections: int = Field(default=1000, ge=1)
    """Open connections per worker (uvicorn; Granian: requests in flight); more are refused.
    Keep it under the process's file descriptor limit (``ulimit -n``)."""

    keep_alive_seconds: float = Field(default=5.0, gt=0)
    """An idle keep-alive connection is closed after this long."""

    bench_ceiling: bool = False
    """Serve ``/__bench/ceiling`` (pre-encoded bytes, no lookup) for the benchmark's reference."""

    outbound_allow_loopback: bool | None = None
    """Webhook and revocation-notice destinations on loopback (127.0.0.0/8, ::1, localhost).
    Unset: allowed on SQLite, the local stand-in whose developer runs the receiver on the same
    machine; refused on PostgreSQL, a shared server where they would reach its own services."""

    outbound_allow_private: bool = False
    """Destinations on private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    Link-local (169.254/16 with cloud metadata, fe80::/10), multicast, reserved and unspecified
    addresses are refused whatever this says."""

    @property
    def resolved_outbound_allow_loopback(self) -> bool:
        """The one place the loopback default is decided: true exactly on SQLite."""
        if self.outbound_allow_loopback is not None:
            return self.outbound_allow_loopback
        from kommodore.db import is_postgres_url

        return not is_postgres_url(self.resolved_database_url)

    control_api: bool | None = None
    """The control plane under ``/_kommodore/`` (reset, snapshots). Unset: on with SQLite, the
    developer's stand-in; off with PostgreSQL, where a reset would wipe a shared server."""

    control_token: str | None = None
    """The bearer token the control plane takes (never a Kommo token). Unset: generated on first
    use into ``data_dir/control-token`` and printed by ``kommodore demo``."""

    journal: bool = True
    """The request journal (control API on); ``false`` records nothing (faults still apply)."""

    journal_size: int = Field(default=10_000, ge=1, le=1_000_000)
    """The request journal keeps this many of each account's last requests (control API on)."""

    journal_body_bytes: int = Field(default=16_384, ge=0, le=1_048_576)
    """The journal keeps at most this much of each request's and answer's body."""

    @property
    def resolved_control_api(self) -> bool:
        if self.control_api is not None:
            return self.control_api
        from kommodore.db import is_postgres_url

        return not is_postgres_url(self.resolved_database_url)

    env: Literal["development", "production"] = "development"
    """``production`` changes two defaults: JSON logs and no access log."""

    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    """The delivery worker's knobs (``KOMMODORE_WEBHOOK_*``), read with the rest."""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def resolved_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.production else "console"

    @property
    def resolved_access_log(self) -> bool:
        return (not self.production) if self.access_log is None else self.access_log

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kommodore.db').resolve()}"

    @property
    def resolved_api_domain(self) -> str:
        return self.api_domain or self.base_domain
