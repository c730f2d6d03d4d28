"""contracts: signed contract records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('signing_certificate_id', sa.Integer(), nullable=False),
    sa.Column('signer', sa.String(length=400), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('loan', 'land_mortgage', 'house_mortgage', 'construction_land_mortgage', 'forest_mortgage', 'share_pledge', 'guarantee', 'schedule_annex')", name=op.f('ck_contracts_kind')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_contracts_institution_id_institutions')),
    sa.ForeignKeyConstraint(['signing_certificate_id'], ['signing_certificates.id'], name=op.f('fk_contracts_signing_certificate_id_signing_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_sha256'))
        batch_op.drop_index(batch_op.f('ix_contracts_loan_id'))

    op.drop_table('contracts')
