"""loans: applications and their collateral

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('borrower_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('repayment_method', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lpr_tenor', sa.String(length=2), nullable=False),
    sa.Column('lpr_rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('lpr_date', sa.Date(), nullable=False),
    sa.Column('spread_bps', sa.Integer(), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('penalty_factor', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('planned_maturity', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("repayment_method IN ('equal_instalment', 'equal_principal', 'monthly_interest_bullet', 'quarterly_interest_bullet', 'lump_sum')", name=op.f('ck_loans_repayment_method')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'rejected', 'contracted', 'active', 'paid_off', 'written_off')", name=op.f('ck_loans_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_loans_amount')),
    sa.CheckConstraint('approver_id IS NULL OR approver_id <> maker_id', name=op.f('ck_loans_maker_checker')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_loans_term_months')),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_loans_approver_id_users')),
    sa.ForeignKeyConstraint(['bank_id'], ['institutions.id'], name=op.f('fk_loans_bank_id_institutions')),
    sa.ForeignKeyConstraint(['borrower_id'], ['parties.id'], name=op.f('fk_loans_borrower_id_parties')),
    sa.ForeignKeyConstraint(['maker_id'], ['users.id'], name=op.f('fk_loans_maker_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_loans_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_borrower_id'), ['borrower_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_status'), ['status'], unique=False)

    op.create_table('loan_collateral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=True),
    sa.Column('shareholding_id', sa.Integer(), nullable=True),
    sa.Column('shares', sa.Integer(), nullable=True),
    sa.CheckConstraint('(right_id IS NULL) <> (shareholding_id IS NULL)', name=op.f('ck_loan_collateral_one_collateral')),
    sa.CheckConstraint('(shareholding_id IS NULL) = (shares IS NULL) AND (shares IS NULL OR shares > 0)', name=op.f('ck_loan_collateral_shares')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_collateral_loan_id_loans')),
    sa.ForeignKeyConstraint(['right_id'], ['rights.id'], name=op.f('fk_loan_collateral_right_id_rights')),
    sa.ForeignKeyConstraint(['shareholding_id'], ['shareholdings.id'], name=op.f('fk_loan_collateral_shareholding_id_shareholdings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_collateral'))
    )
    with op.batch_alter_table('loan_collateral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_collateral_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_collateral_right_id'), ['right_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_collateral_shareholding_id'), ['shareholding_id'], unique=False)



def downgrade():
    with op.batch_alter_table('loan_collateral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_collateral_shareholding_id'))
        batch_op.drop_index(batch_op.f('ix_loan_collateral_right_id'))
        batch_op.drop_index(batch_op.f('ix_loan_collateral_loan_id'))

    op.drop_table('loan_collateral')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loans_status'))
        batch_op.drop_index(batch_op.f('ix_loans_borrower_id'))
        batch_op.drop_index(batch_op.f('ix_loans_bank_id'))

    op.drop_table('loans')
