"""risk: risk-sharing programs; products' programs become a foreign key

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PARTIES = ('guarantor', 'reguarantor', 'bank', 'fund')


def upgrade():
    op.create_table('risk_programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    *[sa.Column(f'{party}_share', sa.Numeric(precision=12, scale=8), nullable=False) for party in PARTIES],
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(' AND '.join(f'{p}_share >= 0 AND {p}_share <= 1' for p in PARTIES),
                       name=op.f('ck_risk_programs_share_range')),
    sa.CheckConstraint(f"ABS({' + '.join(f'{p}_share' for p in PARTIES)} - 1) < 0.000000005",
                       name=op.f('ck_risk_programs_share_sum')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_programs')),
    sa.UniqueConstraint('name', name=op.f('uq_risk_programs_name'))
    )
    op.execute("UPDATE products SET program_id = NULL")  # no program existed to point at
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_products_program_id_risk_programs'), 'risk_programs',
                                    ['program_id'], ['id'])


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_products_program_id_risk_programs'), type_='foreignkey')
    op.drop_table('risk_programs')
