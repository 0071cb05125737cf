"""Settings from the environment (prefix ``CASEFLOW_``), read once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from caseflow import law


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", extra="ignore")

    #: SQLite by default; PostgreSQL as postgresql+psycopg://user@host/db
    database_url: str = "sqlite:///var/caseflow.db"
    #: PostgreSQL with split roles: the owner role's URL, used by migrations (``caseflow init``) and
    #: ``caseflow restore``; the application then connects as ``database_url``'s role, which owns
    #: nothing and is granted only what it needs. Unset: migrations use ``database_url``.
    migration_database_url: str = ""
    #: Documents, letters, keys and loaded calendar notices live below it.
    data_dir: Path = Path("var")
    #: "production" refuses to start with the default secret.
    env: Literal["development", "production"] = "development"
    secret_key: str = "dev-only-secret-change-me"
    #: Render each issued letter as PDF/A too (turned off only by tests that do not look at PDFs).
    letter_pdf: bool = True
    #: Render the PDFs of letters issued by this process in a background thread after their commit
    #: (``caseflow.replies.pdf_after``); off, the scheduled job ``letter_pdfs`` renders them.
    letter_pdf_worker: bool = True
    #: SQLite: the web app's transitions go through one writer that commits waiting ones together
    #: (``caseflow.groupcommit``); PostgreSQL never groups. ``CASEFLOW_GROUP_COMMIT=0`` turns it off.
    group_commit: bool = True
    #: Where the prepared letter fonts are cached (default: $CASEFLOW_DATA_DIR/fonts).
    font_cache_dir: Path | None = None
    #: The applicant's supplement period set in a 补正告知书, in working days (Art. 30).
    supplement_period_days: int = Field(default=law.APPLICANT_SUPPLEMENT.days or 15, ge=1, le=60)
    #: Whether the annual report counts correction requests (Art. 41): by default they are left out
    #: of every row of table 三 (and of table 四 and the office figures); set, the office counts them
    #: in 一, 二 and 四 like any request and their decisions in 三(六)3 其他处理.
    count_corrections_in_report: bool = False
    #: Run the scheduled jobs inside ``caseflow serve`` (one instance leads; see README).
    scheduler: bool = True
    #: Reminders are mailed when an SMTP host is given (otherwise they are in-app only).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "caseflow@localhost"
    #: SMS texts to applicants (``caseflow.portal.sms``): "" off, "log" writes each text to the log,
    #: or "package.module:Class", an office's own gateway implementing ``SmsGateway``.
    sms_gateway: str = ""
    #: The address users reach the pages at, for links in mails (e.g. https://gk.example.gov.cn).
    base_url: str = "http://127.0.0.1:8000"
    #: The ``orphans`` job removes unreferenced store files only once they are this old (hours).
    store_grace_hours: int = Field(default=24, ge=1, le=24 * 365)
    #: The Ed25519 key that signs evidence checkpoints (created on first use). Never under
    #: ``$CASEFLOW_DATA_DIR/keys`` (a backup holds that folder): default
    #: ``$CASEFLOW_DATA_DIR/checkpoint-key/checkpoint-key.pem``, its public key beside it.
    checkpoint_key_file: Path | None = None
    #: An RFC 3161 time-stamping authority (e.g. http://tsa.example/tsr): each checkpoint stamped.
    tsa_url: str = ""
    #: The TSA's CA certificate (PEM) to verify its tokens with (unset: tokens stored unverified).
    tsa_ca_file: Path | None = None
    #: The key that encrypts applicants' ID numbers and keys their commitments, kept outside the
    #: database (default: $CASEFLOW_DATA_DIR/keys/identity.key; created by ``caseflow init``).
    identity_key_file: Path | None = None
    #: Sign-in limits, shared by every process through the database: at most this many failed
    #: attempts per user name and per client address within the window; then 429 with Retry-After.
    signin_user_limit: int = Field(default=5, ge=1, le=1000)
    signin_address_limit: int = Field(default=20, ge=1, le=100_000)
    signin_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Threads that check passwords (argon2 is memory- and CPU-hard): sign-ins beyond wait their turn
    #: without holding the web server's threads.
    password_workers: int = Field(default=2, ge=1, le=64)
    #: The public portal's rate limits (``caseflow.ratelimit``), shared by every process through the
    #: database, in fixed windows: online submissions per client address and for everyone per hour,
    #: look-ups (status, application, request page) per address and for everyone per minute, and
    #: failed look-ups (wrong code, unknown number) per address and per looked-up number per hour.
    portal_submissions_per_hour: int = Field(default=10, ge=1, le=1_000_000)
    portal_submissions_global_per_hour: int = Field(default=1000, ge=1, le=100_000_000)
    portal_lookups_per_minute: int = Field(default=20, ge=1, le=1_000_000)
    portal_lookups_global_per_minute: int = Field(default=3000, ge=1, le=100_000_000)
    portal_lookup_failures_per_hour: int = Field(default=10, ge=1, le=1_000_000)
    portal_lookup_failures_per_number_per_hour: int = Field(default=5, ge=1, le=1_000_000)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
