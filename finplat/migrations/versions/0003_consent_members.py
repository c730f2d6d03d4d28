"""consents: the household member behind a co-owner's consent; proof of another stable residence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('co_owner', 'collective_filing', 'collective_consent', 'villagers_meeting', 'contractor')"
NEW_KINDS = ("kind IN ('co_owner', 'collective_filing', 'collective_consent', 'villagers_meeting', 'contractor', "
             "'other_residence')")


def upgrade():
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consents_member_id_household_members'), 'household_members',
                                    ['member_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_consents_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_consents_kind'), NEW_KINDS)
        batch_op.create_check_constraint(batch_op.f('ck_consents_member_for_co_owner'), "kind = 'co_owner' OR member_id IS NULL")


def downgrade():
    op.execute("DELETE FROM consents WHERE kind = 'other_residence'")
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_consents_member_for_co_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_consents_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_consents_kind'), OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_consents_member_id_household_members'), type_='foreignkey')
        batch_op.drop_column('member_id')
