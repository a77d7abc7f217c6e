"""selfhelp: a PostgreSQL vector of titles and tags only

Revision ID: selfhelp_0004
Revises: selfhelp_0003
Create Date: 2026-11-23 12:42:00

A query made only of very common words is matched in titles and tags (see
search.candidate_groups). GIN cannot filter by weight, so restricting ``search_vector`` to
weights A and B still read every article holding the word; a vector of its own can be
looked up directly. SQLite's FTS5 filters by column inside its index already.
"""

from alembic import op

revision = "selfhelp_0004"
down_revision = "selfhelp_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE selfhelp_articles ADD COLUMN heading_vector tsvector GENERATED ALWAYS AS ("
            " setweight(to_tsvector('simple'::regconfig, terms_title), 'A')"
            " || setweight(to_tsvector('simple'::regconfig, terms_tags), 'B')"
            " || setweight(to_tsvector('simple'::regconfig, search_scope), 'D')) STORED"
        )
        op.execute("CREATE INDEX ix_selfhelp_articles_heading ON selfhelp_articles USING gin (heading_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_selfhelp_articles_heading")
        op.execute("ALTER TABLE selfhelp_articles DROP COLUMN heading_vector")
