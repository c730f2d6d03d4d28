"""valuations: the shares a valuation of a shareholding covers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('valuations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shares', sa.Integer(), nullable=True))
    # a shareholding's valuation before this one covered the whole holding as it stands
    op.execute("UPDATE valuations SET shares = (SELECT shares FROM shareholdings WHERE shareholdings.id = "
               "valuations.shareholding_id) WHERE shareholding_id IS NOT NULL")
    with op.batch_alter_table('valuations', schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f('ck_valuations_shares'),
            "(shareholding_id IS NULL) = (shares IS NULL) AND (shares IS NULL OR shares > 0)")


def downgrade():
    with op.batch_alter_table('valuations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_valuations_shares'), type_='check')
        batch_op.drop_column('shares')
