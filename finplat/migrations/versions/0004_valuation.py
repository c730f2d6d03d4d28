"""valuation: reference data, valuation records, indicative values and LTV alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ltv_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secures_type', sa.String(length=32), nullable=False),
    sa.Column('secures_id', sa.String(length=64), nullable=False),
    sa.Column('exposure', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('collateral_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('ltv', sa.Numeric(precision=12, scale=8), nullable=True),
    sa.Column('cap', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ltv_alerts')),
    sa.UniqueConstraint('secures_type', 'secures_id', 'business_date', name=op.f('uq_ltv_alerts_secures_type'))
    )
    with op.batch_alter_table('ltv_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ltv_alerts_business_date'), ['business_date'], unique=False)

    op.create_table('ref_capitalisation_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('right_kind', sa.String(length=32), nullable=False),
    sa.Column('rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint('rate > 0 AND rate < 1', name=op.f('ck_ref_capitalisation_rates_rate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ref_capitalisation_rates')),
    sa.UniqueConstraint('region_code', 'right_kind', 'effective_date', name=op.f('uq_ref_capitalisation_rates_region_code'))
    )
    op.create_table('ref_land_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('use', sa.String(length=32), nullable=False),
    sa.Column('grade', sa.String(length=20), nullable=False),
    sa.Column('price_per_m2', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint('price_per_m2 > 0', name=op.f('ck_ref_land_prices_price')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ref_land_prices')),
    sa.UniqueConstraint('region_code', 'use', 'grade', 'effective_date', name=op.f('uq_ref_land_prices_region_code'))
    )
    op.create_table('ref_net_incomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('right_kind', sa.String(length=32), nullable=False),
    sa.Column('item', sa.String(length=50), nullable=False),
    sa.Column('income_per_mu', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint('income_per_mu > 0', name=op.f('ck_ref_net_incomes_income')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ref_net_incomes')),
    sa.UniqueConstraint('region_code', 'right_kind', 'item', 'effective_date', name=op.f('uq_ref_net_incomes_region_code'))
    )
    op.create_table('ref_replacement_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('structure', sa.String(length=32), nullable=False),
    sa.Column('cost_per_m2', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint('cost_per_m2 > 0', name=op.f('ck_ref_replacement_costs_cost')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ref_replacement_costs')),
    sa.UniqueConstraint('region_code', 'structure', 'effective_date', name=op.f('uq_ref_replacement_costs_region_code'))
    )
    op.create_table('ref_collective_net_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collective_id', sa.Integer(), nullable=False),
    sa.Column('net_assets', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.CheckConstraint('net_assets >= 0', name=op.f('ck_ref_collective_net_assets_net_assets')),
    sa.ForeignKeyConstraint(['collective_id'], ['parties.id'], name=op.f('fk_ref_collective_net_assets_collective_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ref_collective_net_assets')),
    sa.UniqueConstraint('collective_id', 'effective_date', name=op.f('uq_ref_collective_net_assets_collective_id'))
    )
    op.create_table('indicative_values',
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_indicative_values_value')),
    sa.ForeignKeyConstraint(['right_id'], ['rights.id'], name=op.f('fk_indicative_values_right_id_rights')),
    sa.PrimaryKeyConstraint('right_id', name=op.f('pk_indicative_values'))
    )
    op.create_table('valuations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=True),
    sa.Column('shareholding_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('input_sources', sa.JSON(), nullable=False),
    sa.Column('references', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('low', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('high', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('valuation_date', sa.Date(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('certified_by_id', sa.Integer(), nullable=True),
    sa.Column('certified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('certified_on', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('income_capitalisation', 'land_price_coefficient', 'cost', 'market_comparison', 'share_nav')", name=op.f('ck_valuations_method')),
    sa.CheckConstraint("status = 'draft' OR (certified_by_id IS NOT NULL AND valid_until IS NOT NULL)", name=op.f('ck_valuations_certified')),
    sa.CheckConstraint("status IN ('draft', 'certified', 'superseded', 'expired')", name=op.f('ck_valuations_status')),
    sa.CheckConstraint('(right_id IS NULL) <> (shareholding_id IS NULL)', name=op.f('ck_valuations_one_collateral')),
    sa.CheckConstraint('low <= value AND value <= high', name=op.f('ck_valuations_range')),
    sa.ForeignKeyConstraint(['agency_id'], ['institutions.id'], name=op.f('fk_valuations_agency_id_institutions')),
    sa.ForeignKeyConstraint(['certified_by_id'], ['users.id'], name=op.f('fk_valuations_certified_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_valuations_requested_by_id_users')),
    sa.ForeignKeyConstraint(['right_id'], ['rights.id'], name=op.f('fk_valuations_right_id_rights')),
    sa.ForeignKeyConstraint(['shareholding_id'], ['shareholdings.id'], name=op.f('fk_valuations_shareholding_id_shareholdings')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['valuations.id'], name=op.f('fk_valuations_superseded_by_id_valuations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_valuations'))
    )
    with op.batch_alter_table('valuations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_valuations_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_valuations_holding_status', ['shareholding_id', 'status'], unique=False)
        batch_op.create_index('ix_valuations_right_status', ['right_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_valuations_valid_until'), ['valid_until'], unique=False)
        batch_op.create_index('uq_valuations_certified_holding', ['shareholding_id'], unique=True, postgresql_where=sa.text("status = 'certified'"), sqlite_where=sa.text("status = 'certified'"))
        batch_op.create_index('uq_valuations_certified_right', ['right_id'], unique=True, postgresql_where=sa.text("status = 'certified'"), sqlite_where=sa.text("status = 'certified'"))



def downgrade():
    with op.batch_alter_table('valuations', schema=None) as batch_op:
        batch_op.drop_index('uq_valuations_certified_right', postgresql_where=sa.text("status = 'certified'"), sqlite_where=sa.text("status = 'certified'"))
        batch_op.drop_index('uq_valuations_certified_holding', postgresql_where=sa.text("status = 'certified'"), sqlite_where=sa.text("status = 'certified'"))
        batch_op.drop_index(batch_op.f('ix_valuations_valid_until'))
        batch_op.drop_index('ix_valuations_right_status')
        batch_op.drop_index('ix_valuations_holding_status')
        batch_op.drop_index(batch_op.f('ix_valuations_agency_id'))

    op.drop_table('valuations')
    op.drop_table('indicative_values')
    op.drop_table('ref_collective_net_assets')
    op.drop_table('ref_replacement_costs')
    op.drop_table('ref_net_incomes')
    op.drop_table('ref_land_prices')
    op.drop_table('ref_capitalisation_rates')
    with op.batch_alter_table('ltv_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ltv_alerts_business_date'))

    op.drop_table('ltv_alerts')
