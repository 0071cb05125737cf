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
    #: The applicant's supplement period set in a 补正告知书, in working days (Art. 30).
    #: Render each issued letter as PDF/A too (turned off only by tests that do not look at PDFs).
    letter_pdf: bool = True
    #: Where the prepared letter fonts are cached (default: $CASEFLOW_DATA_DIR/fonts).
    font_cache_dir: Path | None = None
    supplement_period_days: int = Field(default=law.APPLICANT_SUPPLEMENT.days or 15, ge=1, le=60)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
