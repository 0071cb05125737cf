"""The web application and JSON API (FastAPI); the engine lives in ``caseflow``."""
