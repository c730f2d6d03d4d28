"""servicing: instalments' periods, accrued and paid amounts; loans' penalty, days past due and class; the
classification history; repayments and their reversals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CLASSES = "('normal', 'special_mention', 'substandard', 'doubtful', 'loss')"


def upgrade():
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        for column in ('interest_accrued', 'principal_paid', 'interest_paid'):
            batch_op.add_column(sa.Column(column, sa.Numeric(precision=18, scale=2), nullable=False,
                                          server_default='0'))
    # a period starts at the previous due date, the first at disbursement
    op.execute("""
        UPDATE loan_instalments SET period_start = COALESCE(
            (SELECT MAX(p.due_date) FROM loan_instalments p WHERE p.loan_id = loan_instalments.loan_id
               AND p.version = loan_instalments.version AND p.number < loan_instalments.number),
            (SELECT l.disbursed_on FROM loans l WHERE l.id = loan_instalments.loan_id))""")
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.alter_column('period_start', existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint(batch_op.f('ck_loan_instalments_period'), 'period_start < due_date')
        batch_op.create_check_constraint(
            batch_op.f('ck_loan_instalments_servicing'),
            'principal_paid >= 0 AND principal_paid <= principal AND interest_paid >= 0 AND interest_paid <= interest '
            'AND interest_accrued >= 0 AND interest_accrued <= interest')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('penalty_accrued', sa.Numeric(precision=18, scale=2), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('penalty_paid', sa.Numeric(precision=18, scale=2), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('penalty_through', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('dpd', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('classification', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_loans_classification'), ['classification'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_loans_penalty'),
                                         'penalty_paid >= 0 AND penalty_paid <= penalty_accrued')
        batch_op.create_check_constraint(batch_op.f('ck_loans_classification'),
                                         f'classification IS NULL OR classification IN {CLASSES}')
    op.execute("UPDATE loans SET classification = 'normal' WHERE disbursed_on IS NOT NULL")
    op.create_table('loan_classifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('dpd', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.CheckConstraint(f'classification IN {CLASSES}', name=op.f('ck_loan_classifications_classification')),
    sa.CheckConstraint("reason IN ('disbursement', 'dpd', 'borrower_npl_share')", name=op.f('ck_loan_classifications_reason')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_classifications_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_classifications')),
    sa.UniqueConstraint('loan_id', 'business_date', name=op.f('uq_loan_classifications_loan_id'))
    )
    with op.batch_alter_table('loan_classifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_classifications_loan_id'), ['loan_id'], unique=False)
    op.create_table('loan_repayments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('accrual_transaction_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('split', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('reversed_by', sa.Integer(), nullable=True),
    sa.Column('reversal_transaction_id', sa.Integer(), nullable=True),
    sa.Column('reversal_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(reversed_by IS NULL) = (reversal_transaction_id IS NULL)', name=op.f('ck_loan_repayments_reversal')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_loan_repayments_amount')),
    sa.ForeignKeyConstraint(['accrual_transaction_id'], ['ledger_transactions.id'], name=op.f('fk_loan_repayments_accrual_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_repayments_loan_id_loans')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_loan_repayments_recorded_by_users')),
    sa.ForeignKeyConstraint(['reversal_transaction_id'], ['ledger_transactions.id'], name=op.f('fk_loan_repayments_reversal_transaction_id_ledger_transactions')),
    sa.ForeignKeyConstraint(['reversed_by'], ['users.id'], name=op.f('fk_loan_repayments_reversed_by_users')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_loan_repayments_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_repayments')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_loan_repayments_transaction_id'))
    )
    with op.batch_alter_table('loan_repayments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_repayments_loan_id'), ['loan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('loan_repayments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_repayments_loan_id'))
    op.drop_table('loan_repayments')
    with op.batch_alter_table('loan_classifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_classifications_loan_id'))
    op.drop_table('loan_classifications')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_loans_classification'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_loans_penalty'), type_='check')
        batch_op.drop_index(batch_op.f('ix_loans_classification'))
        for column in ('closed_on', 'classification', 'dpd', 'penalty_through', 'penalty_paid', 'penalty_accrued'):
            batch_op.drop_column(column)
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_loan_instalments_servicing'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_loan_instalments_period'), type_='check')
        for column in ('interest_paid', 'principal_paid', 'interest_accrued', 'period_start'):
            batch_op.drop_column(column)
