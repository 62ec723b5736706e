"""Organisations' name keys, indexed: finding one already on a letter's list is a query.

Adding an organisation to a letter used to compare its names with those of every organisation
on the list, in Python. The keys (the cleaned, case-folded names) are filled in for the
existing rows here, with the same function the code uses; the downgrade drops them.

Revision ID: 0006_organization_name_keys
Revises: 0005_deadline_moment
Create Date: 2026-11-30 23:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from letterhub.models.organization import name_key

# revision identifiers, used by Alembic.
revision = "0006_organization_name_keys"
down_revision = "0005_deadline_moment"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("name_en_key", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("name_ar_key", sa.String(length=300), nullable=False, server_default=""))
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("name_en", sa.String),
        sa.column("name_ar", sa.String),
        sa.column("name_en_key", sa.String),
        sa.column("name_ar_key", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(organizations.c.id, organizations.c.name_en, organizations.c.name_ar))
    for row_id, name_en, name_ar in rows.all():
        connection.execute(
            organizations.update()
            .where(organizations.c.id == row_id)
            .values(name_en_key=name_key(name_en or ""), name_ar_key=name_key(name_ar or ""))
        )
    op.create_index("ix_organizations_name_en_key", "organizations", ["name_en_key"])
    op.create_index("ix_organizations_name_ar_key", "organizations", ["name_ar_key"])


def downgrade():
    op.drop_index("ix_organizations_name_ar_key", table_name="organizations")
    op.drop_index("ix_organizations_name_en_key", table_name="organizations")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("name_ar_key")
        batch.drop_column("name_en_key")
