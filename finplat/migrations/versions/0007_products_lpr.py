"""loans: products (collateral kinds with LTV caps, repayment methods) and the LPR table

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lpr_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenor', sa.String(length=2), nullable=False),
    sa.Column('rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint("tenor IN ('1y', '5y')", name=op.f('ck_lpr_rates_tenor')),
    sa.CheckConstraint('rate > 0 AND rate < 1', name=op.f('ck_lpr_rates_rate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lpr_rates')),
    sa.UniqueConstraint('tenor', 'effective_date', name=op.f('uq_lpr_rates_tenor'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('min_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('max_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('min_term_months', sa.Integer(), nullable=False),
    sa.Column('max_term_months', sa.Integer(), nullable=False),
    sa.Column('lpr_tenor', sa.String(length=2), nullable=False),
    sa.Column('spread_bps', sa.Integer(), nullable=False),
    sa.Column('penalty_factor', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('guarantee_required', sa.Boolean(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(lpr_tenor = '1y') = (max_term_months <= 60)", name=op.f('ck_products_tenor_of_term')),
    sa.CheckConstraint("lpr_tenor IN ('1y', '5y')", name=op.f('ck_products_lpr_tenor')),
    sa.CheckConstraint('min_amount > 0 AND min_amount <= max_amount', name=op.f('ck_products_amounts')),
    sa.CheckConstraint('min_term_months >= 1 AND min_term_months <= max_term_months AND max_term_months <= 360', name=op.f('ck_products_terms')),
    sa.CheckConstraint('penalty_factor BETWEEN 1.3 AND 1.5', name=op.f('ck_products_penalty_factor')),
    sa.CheckConstraint('spread_bps BETWEEN -100 AND 1000', name=op.f('ck_products_spread')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('code', name=op.f('uq_products_code'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_program_id'), ['program_id'], unique=False)

    op.create_table('product_collateral_kinds',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ltv_cap', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.CheckConstraint("kind IN ('land_management', 'house', 'construction_land', 'forest', 'water_facility', 'collective_shares')", name=op.f('ck_product_collateral_kinds_kind')),
    sa.CheckConstraint('ltv_cap > 0 AND ltv_cap <= 1', name=op.f('ck_product_collateral_kinds_ltv_cap')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_collateral_kinds_product_id_products')),
    sa.PrimaryKeyConstraint('product_id', 'kind', name=op.f('pk_product_collateral_kinds'))
    )
    op.create_table('product_repayment_methods',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.CheckConstraint("method IN ('equal_instalment', 'equal_principal', 'monthly_interest_bullet', 'quarterly_interest_bullet', 'lump_sum')", name=op.f('ck_product_repayment_methods_method')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_repayment_methods_product_id_products')),
    sa.PrimaryKeyConstraint('product_id', 'method', name=op.f('pk_product_repayment_methods'))
    )


def downgrade():
    op.drop_table('product_repayment_methods')
    op.drop_table('product_collateral_kinds')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_program_id'))

    op.drop_table('products')
    op.drop_table('lpr_rates')
