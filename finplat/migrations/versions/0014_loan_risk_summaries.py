"""risk: the loan risk summary that close of business refreshes for the portfolio queries

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('loan_risk_summaries',
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('borrower_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('collateral_kind', sa.String(length=32), nullable=False),
    sa.Column('loan_status', sa.String(length=16), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('principal', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('interest_due', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('collateral_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('ltv', sa.Numeric(precision=18, scale=8), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('coverage', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('guarantor_share', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('reguarantor_share', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('bank_share', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('fund_share', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_risk_summaries_loan_id_loans'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('loan_id', name=op.f('pk_loan_risk_summaries'))
    )
    with op.batch_alter_table('loan_risk_summaries', schema=None) as batch_op:
        batch_op.create_index('ix_loan_risk_summaries_agency', ['agency_id', 'classification'], unique=False)
        batch_op.create_index('ix_loan_risk_summaries_bank', ['bank_id', 'classification'], unique=False)
        batch_op.create_index('ix_loan_risk_summaries_program', ['program_id', 'region_code'], unique=False)


def downgrade():
    op.drop_table('loan_risk_summaries')
