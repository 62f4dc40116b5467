"""The outcome store: every conversation, turn, decision, handoff and rating.

SQLAlchemy 2 on SQLite by default, PostgreSQL by `DDH_DATABASE_URL`; the schema is
owned by Alembic migrations (`store/migrations`), applied at start-up.
"""

from store.outcomes import OutcomeStore

__all__ = ["OutcomeStore"]
