"""origination: the ledger, loan schedules, contracting and disbursement columns, idempotency keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# At commit, every ledger transaction has at least two postings and they sum to zero; neither table takes an
# UPDATE or a DELETE (a mistake is mended by a reversing transaction).
PG_LEDGER = """
CREATE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    txn integer;
    total numeric;
    legs integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_transactions' THEN txn := NEW.id; ELSE txn := NEW.transaction_id; END IF;
    SELECT coalesce(sum(amount), 0), count(*) INTO total, legs FROM ledger_postings WHERE transaction_id = txn;
    IF total <> 0 OR legs < 2 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % postings summing to %', txn, legs, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: book a reversing transaction instead', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
"""


def upgrade():
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.CheckConstraint("kind IN ('asset', 'liability', 'equity', 'income', 'expense')", name=op.f('ck_ledger_accounts_kind')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_ledger_accounts_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('institution_id', 'code', name=op.f('uq_ledger_accounts_institution_id'))
    )
    op.create_table('ledger_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('memo', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_ledger_transactions_amount')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_ledger_transactions_loan_id_loans')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_transactions_reverses_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_ledger_transactions_reverses_id'))
    )
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transactions_business_date'), ['business_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transactions_loan_id'), ['loan_id'], unique=False)
    op.create_table('ledger_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_ledger_postings_amount')),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_postings_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_ledger_postings_loan_id_loans')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_postings_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_postings'))
    )
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_postings_account_loan', ['account_id', 'loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_postings_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('loan_instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('principal', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('interest', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('payment', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('balance', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('ABS(payment - principal - interest) < 0.005', name=op.f('ck_loan_instalments_payment')),
    sa.CheckConstraint('principal >= 0 AND interest >= 0 AND balance >= 0', name=op.f('ck_loan_instalments_amounts')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_instalments_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_instalments')),
    sa.UniqueConstraint('loan_id', 'version', 'number', name=op.f('uq_loan_instalments_loan_id'))
    )
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_idempotency_keys_scope'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contracted_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('contracted_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disbursed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('disbursed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('maturity_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('principal_outstanding', sa.Numeric(precision=18, scale=2), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('schedule_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_loans_contracted_by_users'), 'users', ['contracted_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_loans_disbursed_by_users'), 'users', ['disbursed_by'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_loans_outstanding'),
                                         'principal_outstanding >= 0 AND principal_outstanding <= amount')
        batch_op.create_check_constraint(batch_op.f('ck_loans_disbursed'), "(disbursed_on IS NULL) = (status IN "
                                         "('draft', 'submitted', 'approved', 'rejected', 'contracted'))")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_LEDGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("ledger_postings", "ledger_transactions"):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_balanced ON {table}")
        op.execute("DROP FUNCTION ledger_append_only()")
        op.execute("DROP FUNCTION ledger_transaction_balanced()")
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_loans_disbursed'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_loans_outstanding'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_loans_disbursed_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_loans_contracted_by_users'), type_='foreignkey')
        for column in ('schedule_version', 'principal_outstanding', 'maturity_date', 'disbursed_by', 'disbursed_on',
                       'contracted_by', 'contracted_on'):
            batch_op.drop_column(column)
    op.drop_table('idempotency_keys')
    op.drop_table('loan_instalments')
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_postings_transaction_id'))
        batch_op.drop_index('ix_ledger_postings_account_loan')
    op.drop_table('ledger_postings')
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_loan_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_business_date'))
    op.drop_table('ledger_transactions')
    op.drop_table('ledger_accounts')
