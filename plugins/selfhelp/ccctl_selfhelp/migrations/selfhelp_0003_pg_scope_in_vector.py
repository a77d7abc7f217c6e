"""selfhelp: tenant and locale tokens in PostgreSQL's search vector

Revision ID: selfhelp_0003
Revises: selfhelp_0002
Create Date: 2026-11-23 12:35:00

With the tenant only in a b-tree index, PostgreSQL scanned every article of the tenant and
filtered them with @@; with the ``search_scope`` tokens (weight D, never scored) in the
vector, one GIN lookup finds a tenant's matching articles. SQLite already has them in FTS5.
"""

from alembic import op

revision = "selfhelp_0003"
down_revision = "selfhelp_0002"
branch_labels = None
depends_on = None

VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, terms_title), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, terms_tags), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, terms_body), 'C')"
)


def _vector(expression: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_selfhelp_articles_search")
    op.execute("ALTER TABLE selfhelp_articles DROP COLUMN search_vector")
    op.execute(f"ALTER TABLE selfhelp_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute("CREATE INDEX ix_selfhelp_articles_search ON selfhelp_articles USING gin (search_vector)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _vector(VECTOR + " || setweight(to_tsvector('simple'::regconfig, search_scope), 'D')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _vector(VECTOR)
