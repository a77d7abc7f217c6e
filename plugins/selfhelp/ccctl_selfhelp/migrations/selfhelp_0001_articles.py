"""selfhelp: articles with their full-text index, suggestions, events

Revision ID: selfhelp_0001
Revises:
Create Date: 2026-11-23 11:51:04

The full-text index depends on the backend: an external-content FTS5 table kept in step
by triggers on SQLite, a generated, GIN-indexed tsvector column on PostgreSQL.  Both index
the same pre-stemmed terms (see ccctl_selfhelp.analysis).
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "selfhelp_0001"
down_revision = None
branch_labels = ("selfhelp",)
depends_on = "0002_items"

TIME = ccctl.db.models.AwareDateTime(timezone=True)
FTS_COLUMNS = "terms_title, terms_tags, terms_body, search_scope"


def upgrade() -> None:
    op.create_table(
        "selfhelp_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("terms_title", sa.Text(), nullable=False),
        sa.Column("terms_tags", sa.Text(), nullable=False),
        sa.Column("terms_body", sa.Text(), nullable=False),
        sa.Column("search_scope", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_selfhelp_articles_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfhelp_articles")),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_selfhelp_articles_tenant_id_slug")),
    )
    op.create_index(op.f("ix_selfhelp_articles_tenant_id"), "selfhelp_articles", ["tenant_id"])

    op.create_table(
        "selfhelp_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("query", sa.String(length=200), nullable=True),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["selfhelp_articles.id"],
                                name=op.f("fk_selfhelp_events_article_id_selfhelp_articles"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_selfhelp_events_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfhelp_events")),
        sa.UniqueConstraint("tenant_id", "token", name=op.f("uq_selfhelp_events_tenant_id_token")),
    )
    op.create_index(op.f("ix_selfhelp_events_article_id"), "selfhelp_events", ["article_id"])
    op.create_index("ix_selfhelp_events_tenant_kind", "selfhelp_events", ["tenant_id", "kind", "created_at"])

    op.create_table(
        "selfhelp_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("match", sa.Double(), nullable=False),
        sa.Column("auto_answered", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["selfhelp_articles.id"],
                                name=op.f("fk_selfhelp_suggestions_article_id_selfhelp_articles"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["work_items.id"], name=op.f("fk_selfhelp_suggestions_item_id_work_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_selfhelp_suggestions_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selfhelp_suggestions")),
        sa.UniqueConstraint("item_id", "article_id", name=op.f("uq_selfhelp_suggestions_item_id_article_id")),
    )
    op.create_index(op.f("ix_selfhelp_suggestions_article_id"), "selfhelp_suggestions", ["article_id"])
    op.create_index(op.f("ix_selfhelp_suggestions_item_id"), "selfhelp_suggestions", ["item_id"])
    op.create_index(op.f("ix_selfhelp_suggestions_tenant_id"), "selfhelp_suggestions", ["tenant_id"])

    if op.get_bind().dialect.name == "sqlite":
        _sqlite_fts()
    elif op.get_bind().dialect.name == "postgresql":
        _postgres_tsvector()


def _sqlite_fts() -> None:
    # remove_diacritics 2 also folds what the Python analysis may have missed.
    op.execute(
        f"CREATE VIRTUAL TABLE selfhelp_fts USING fts5({FTS_COLUMNS}, content='selfhelp_articles',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    new = ", ".join(f"new.{c.strip()}" for c in FTS_COLUMNS.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in FTS_COLUMNS.split(","))
    delete = f"INSERT INTO selfhelp_fts(selfhelp_fts, rowid, {FTS_COLUMNS}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO selfhelp_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new});"
    op.execute(f"CREATE TRIGGER selfhelp_articles_ai AFTER INSERT ON selfhelp_articles BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER selfhelp_articles_ad AFTER DELETE ON selfhelp_articles BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER selfhelp_articles_au AFTER UPDATE ON selfhelp_articles BEGIN {delete} {insert} END")


def _postgres_tsvector() -> None:
    # 'simple': the terms are already stemmed and folded in Python, the same way as on SQLite.
    op.execute(
        "ALTER TABLE selfhelp_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        " setweight(to_tsvector('simple'::regconfig, terms_title), 'A')"
        " || setweight(to_tsvector('simple'::regconfig, terms_tags), 'B')"
        " || setweight(to_tsvector('simple'::regconfig, terms_body), 'C')) STORED"
    )
    op.execute("CREATE INDEX ix_selfhelp_articles_search ON selfhelp_articles USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS selfhelp_articles_{trigger}")
        op.execute("DROP TABLE IF EXISTS selfhelp_fts")
    op.drop_table("selfhelp_suggestions")
    op.drop_table("selfhelp_events")
    op.drop_table("selfhelp_articles")
