"""risk: recoveries on defaulted loans, shared back by their claims

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recoveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('claim_effect', sa.String(length=16), nullable=True),
    sa.Column('shared', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('split', sa.JSON(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('fund_transaction_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0 AND shared >= 0 AND shared <= amount', name=op.f('ck_recoveries_amounts')),
    sa.CheckConstraint("source IN ('disposal', 'borrower', 'guarantor', 'other')",
                       name=op.f('ck_recoveries_source')),
    sa.CheckConstraint("claim_effect IN ('lowered_net_loss', 'shared_back')", name=op.f('ck_recoveries_claim_effect')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_recoveries_loan_id_loans')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_recoveries_claim_id_claims')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'],
                            name=op.f('fk_recoveries_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['fund_transaction_id'], ['ledger_transactions.id'],
                            name=op.f('fk_recoveries_fund_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_recoveries_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recoveries'))
    )
    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recoveries_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recoveries_claim_id'), ['claim_id'], unique=False)


def downgrade():
    op.drop_table('recoveries')
