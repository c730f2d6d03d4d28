"""risk: risk-sharing programs (products' programs become a foreign key), guarantees, funds and their
contributions, claims

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
LIVE = "status IN ('requested', 'active')"
OPEN_CLAIM = "status IN ('filed', 'approved', 'paid')"


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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_programs'))
    )
    # no program existed for a product to point at: an id typed in before is dropped, not left dangling
    op.execute("UPDATE products SET program_id = NULL WHERE program_id IS NOT NULL")
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_products_program_id_risk_programs'), 'risk_programs',
                                    ['program_id'], ['id'])
    op.create_table('guarantees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('fee_rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('coverage', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('fee_accrued', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('fee_through', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'active', 'rejected', 'released', 'called')",
                       name=op.f('ck_guarantees_status')),
    sa.CheckConstraint('fee_rate >= 0 AND fee_rate < 1', name=op.f('ck_guarantees_fee_rate')),
    sa.CheckConstraint('coverage > 0 AND coverage <= 1', name=op.f('ck_guarantees_coverage')),
    sa.CheckConstraint('fee_accrued >= 0', name=op.f('ck_guarantees_fee_accrued')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_guarantees_loan_id_loans')),
    sa.ForeignKeyConstraint(['agency_id'], ['institutions.id'], name=op.f('fk_guarantees_agency_id_institutions')),
    sa.ForeignKeyConstraint(['program_id'], ['risk_programs.id'],
                            name=op.f('fk_guarantees_program_id_risk_programs')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_guarantees_requested_by_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_guarantees_decided_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guarantees'))
    )
    with op.batch_alter_table('guarantees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guarantees_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantees_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('uq_guarantees_live_loan', ['loan_id'], unique=True,
                              postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))

    op.create_table('funds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('administrator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['risk_programs.id'], name=op.f('fk_funds_program_id_risk_programs')),
    sa.ForeignKeyConstraint(['administrator_id'], ['institutions.id'],
                            name=op.f('fk_funds_administrator_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funds'))
    )
    with op.batch_alter_table('funds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funds_administrator_id'), ['administrator_id'], unique=False)
    op.create_table('fund_contributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_fund_contributions_amount')),
    sa.CheckConstraint("source IN ('budget', 'interest', 'other')", name=op.f('ck_fund_contributions_source')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_fund_contributions_fund_id_funds')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'],
                            name=op.f('fk_fund_contributions_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_fund_contributions_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_contributions')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_fund_contributions_transaction_id'))
    )
    with op.batch_alter_table('fund_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_contributions_fund_id'), ['fund_id'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    *[sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False)
      for name in ('principal', 'interest', 'recoveries', 'net_loss')],
    sa.Column('split', sa.JSON(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('filed_by', sa.Integer(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payout_transaction_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('filed', 'approved', 'rejected', 'paid')", name=op.f('ck_claims_status')),
    sa.CheckConstraint('ABS(net_loss - principal - interest + recoveries) < 0.005 AND net_loss >= 0',
                       name=op.f('ck_claims_net_loss')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_claims_loan_id_loans')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_claims_fund_id_funds')),
    sa.ForeignKeyConstraint(['program_id'], ['risk_programs.id'], name=op.f('fk_claims_program_id_risk_programs')),
    sa.ForeignKeyConstraint(['filed_by'], ['users.id'], name=op.f('fk_claims_filed_by_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_claims_decided_by_users')),
    sa.ForeignKeyConstraint(['payout_transaction_id'], ['ledger_transactions.id'],
                            name=op.f('fk_claims_payout_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index('uq_claims_open_loan', ['loan_id'], unique=True,
                              postgresql_where=sa.text(OPEN_CLAIM), sqlite_where=sa.text(OPEN_CLAIM))


def downgrade():
    op.drop_table('claims')
    op.drop_table('fund_contributions')
    op.drop_table('funds')
    op.drop_table('guarantees')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_products_program_id_risk_programs'), type_='foreignkey')
    op.drop_table('risk_programs')
