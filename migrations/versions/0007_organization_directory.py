"""The organisation directory: folded name keys, a country, other spellings (aliases) and tags.

The folded keys (:func:`letterhub.services.imports.folding.name_key`: Arabic letter variants
and diacritics, English case, punctuation and "the") are what the directory searches and
warns on; they are filled in for existing organisations here. Existing imported letters'
published spellings become aliases of the entries they are linked to (one pass over the
published lists), as a new import's do. The downgrade drops all of it.

Revision ID: 0007_organization_directory
Revises: 0006_organization_name_keys
Create Date: 2026-11-30 23:40:00.000000

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from letterhub.services.imports.folding import name_key

# revision identifiers, used by Alembic.
revision = "0007_organization_directory"
down_revision = "0006_organization_name_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column("name_en_folded", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("name_ar_folded", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("country", sa.String(length=100), nullable=False, server_default=""))
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("name_en", sa.String),
        sa.column("name_ar", sa.String),
        sa.column("name_en_folded", sa.String),
        sa.column("name_ar_folded", sa.String),
    )
    connection = op.get_bind()
    folded_names = {}
    rows = connection.execute(sa.select(organizations.c.id, organizations.c.name_en, organizations.c.name_ar))
    for row_id, name_en, name_ar in rows.all():
        folded_names[row_id] = (name_key(name_en or ""), name_key(name_ar or ""))
        connection.execute(
            organizations.update()
            .where(organizations.c.id == row_id)
            .values(name_en_folded=folded_names[row_id][0], name_ar_folded=folded_names[row_id][1])
        )
    op.create_index("ix_organizations_name_en_folded", "organizations", ["name_en_folded"])
    op.create_index("ix_organizations_name_ar_folded", "organizations", ["name_ar_folded"])

    aliases = op.create_table(
        "organization_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("spelling", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "key"),
    )
    op.create_index("ix_organization_aliases_key", "organization_aliases", ["key"])
    op.create_table(
        "organization_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "key"),
    )
    op.create_index("ix_organization_tags_key", "organization_tags", ["key"])

    signatories = sa.table(
        "imported_signatories",
        sa.column("organization_id", sa.Integer),
        sa.column("language", sa.String),
        sa.column("name", sa.String),
    )
    published = connection.execute(
        sa.select(signatories.c.organization_id, signatories.c.language, signatories.c.name)
        .where(signatories.c.organization_id.is_not(None))
        .distinct()
    ).all()
    seen = set()
    new_aliases = []
    created_at = datetime.now(UTC)
    for organization_id, language, name in published:
        key = name_key(name or "")
        if not key or key in folded_names.get(organization_id, ()) or (organization_id, key) in seen:
            continue
        seen.add((organization_id, key))
        new_aliases.append(
            {
                "organization_id": organization_id,
                "language": language,
                "spelling": name,
                "key": key,
                "source": "import",
                "created_at": created_at,
            }
        )
    if new_aliases:
        connection.execute(aliases.insert(), new_aliases)


def downgrade():
    op.drop_index("ix_organization_tags_key", table_name="organization_tags")
    op.drop_table("organization_tags")
    op.drop_index("ix_organization_aliases_key", table_name="organization_aliases")
    op.drop_table("organization_aliases")
    op.drop_index("ix_organizations_name_ar_folded", table_name="organizations")
    op.drop_index("ix_organizations_name_en_folded", table_name="organizations")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("country")
        batch.drop_column("name_ar_folded")
        batch.drop_column("name_en_folded")
