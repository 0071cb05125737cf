"""least privilege: no schema change (the application role's grants are applied by caseflow init)

The grants are deliberately not a migration. The application's role is a fact of the deployment
(the user of ``CASEFLOW_DATABASE_URL`` when ``CASEFLOW_MIGRATION_DATABASE_URL`` names another, the
owner), not of the schema: a migration cannot know it, SQLite has no roles, and the grants must be
applied again after every later migration that adds a table and after every restore (which
recreates the schema). So ``caseflow.db.upgrade`` runs ``caseflow.privileges.grant_sql`` (one
idempotent DO block, as the owner) after migrating, and ``caseflow restore`` runs it inside its
transaction. This revision marks the point from which that holds.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: see the module's docstring."""


def downgrade() -> None:
    """Nothing: see the module's docstring."""
