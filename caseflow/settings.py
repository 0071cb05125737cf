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
    #: Documents, letters, keys and loaded calendar notices live below it.
    data_dir: Path = Path("var")
    #: "production" refuses to start with the default secret.
    env: Literal["development", "production"] = "development"
    secret_key: str = "dev-only-secret-change-me"
    #: Render each issued letter as PDF/A too (turned off only by tests that do not look at PDFs).
    letter_pdf: bool = True
    #: Where the prepared letter fonts are cached (default: $CASEFLOW_DATA_DIR/fonts).
    font_cache_dir: Path | None = None
    #: The applicant's supplement period set in a 补正告知书, in working days (Art. 30).
    supplement_period_days: int = Field(default=law.APPLICANT_SUPPLEMENT.days or 15, ge=1, le=60)
    #: Run the scheduled jobs inside ``caseflow serve`` (one instance leads; see README).
    scheduler: bool = True
    #: Reminders are mailed when an SMTP host is given (otherwise they are in-app only).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "caseflow@localhost"
    #: The address users reach the pages at, for links in mails (e.g. https://gk.example.gov.cn).
    base_url: str = "http://127.0.0.1:8000"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
