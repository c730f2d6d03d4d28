"""servicing at scale: each loan's oldest unpaid due date (days past due read off the loan); room on the
instalments' pages for the daily accrual to update in place

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oldest_unpaid_due', sa.Date(), nullable=True))
    op.execute("""
        UPDATE loans SET oldest_unpaid_due = (
            SELECT MIN(i.due_date) FROM loan_instalments i
            WHERE i.loan_id = loans.id AND i.version = loans.schedule_version
              AND (i.principal_paid < i.principal OR i.interest_paid < i.interest))
        WHERE schedule_version > 0""")
    if op.get_bind().dialect.name == 'postgresql':
        # accrual rewrites each current instalment every night: free space on its page keeps the update
        # "heap-only" (no index entries written), as interest_accrued is in no index
        op.execute("ALTER TABLE loan_instalments SET (fillfactor = 80)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE loan_instalments RESET (fillfactor)")
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_column('oldest_unpaid_due')
