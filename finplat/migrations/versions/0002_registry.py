"""registry: parties, rights, events, consents, share registers, liens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('township', sa.String(length=100), nullable=True),
    sa.Column('village', sa.String(length=100), nullable=True),
    sa.Column('id_number', sa.Text(), nullable=True),
    sa.Column('id_number_index', sa.String(length=64), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('collective_id', sa.Integer(), nullable=True),
    sa.Column('legal_representative', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'household') = (id_number_index IS NOT NULL)", name=op.f('ck_parties_household_id_number')),
    sa.CheckConstraint("(kind = 'household') = (uscc IS NULL)", name=op.f('ck_parties_uscc')),
    sa.CheckConstraint("kind IN ('household', 'collective', 'enterprise')", name=op.f('ck_parties_kind')),
    sa.ForeignKeyConstraint(['collective_id'], ['parties.id'], name=op.f('fk_parties_collective_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parties')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_parties_id_number_index')),
    sa.UniqueConstraint('uscc', name=op.f('uq_parties_uscc'))
    )
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parties_collective_id'), ['collective_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parties_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_parties_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_parties_village'), ['village'], unique=False)

    op.create_table('household_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.Text(), nullable=False),
    sa.Column('id_number_index', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['parties.id'], name=op.f('fk_household_members_household_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_members')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_household_members_id_number_index'))
    )
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_members_household_id'), ['household_id'], unique=False)

    op.create_table('rights',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('certificate_no', sa.String(length=100), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('area', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('area_unit', sa.String(length=4), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=True),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("area_unit IN ('mu', 'm2')", name=op.f('ck_rights_area_unit')),
    sa.CheckConstraint("kind IN ('land_management', 'house', 'construction_land', 'forest', 'water_facility')", name=op.f('ck_rights_kind')),
    sa.CheckConstraint("status IN ('active', 'encumbered', 'frozen', 'disposed', 'expired', 'withdrawn')", name=op.f('ck_rights_status')),
    sa.CheckConstraint('area > 0', name=op.f('ck_rights_area')),
    sa.CheckConstraint('term_end IS NULL OR term_start IS NULL OR term_end > term_start', name=op.f('ck_rights_term')),
    sa.ForeignKeyConstraint(['holder_id'], ['parties.id'], name=op.f('fk_rights_holder_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_rights_certificate_no'))
    )
    with op.batch_alter_table('rights', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_term_end'), ['term_end'], unique=False)

    op.create_table('share_registers',
    sa.Column('collective_id', sa.Integer(), nullable=False),
    sa.Column('total_shares', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total_shares > 0', name=op.f('ck_share_registers_total_shares')),
    sa.ForeignKeyConstraint(['collective_id'], ['parties.id'], name=op.f('fk_share_registers_collective_id_parties')),
    sa.PrimaryKeyConstraint('collective_id', name=op.f('pk_share_registers'))
    )
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('document_ref', sa.String(length=200), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('co_owner', 'collective_filing', 'collective_consent', 'villagers_meeting', 'contractor')", name=op.f('ck_consents_kind')),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_consents_party_id_parties')),
    sa.ForeignKeyConstraint(['right_id'], ['rights.id'], name=op.f('fk_consents_right_id_rights')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_right_id'), ['right_id'], unique=False)

    op.create_table('right_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status_before', sa.String(length=16), nullable=True),
    sa.Column('status_after', sa.String(length=16), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['right_id'], ['rights.id'], name=op.f('fk_right_events_right_id_rights')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_right_events'))
    )
    with op.batch_alter_table('right_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_right_events_business_date'), ['business_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_right_events_right_id'), ['right_id'], unique=False)

    op.create_table('share_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collective_id', sa.Integer(), nullable=False),
    sa.Column('from_member_id', sa.Integer(), nullable=False),
    sa.Column('to_member_id', sa.Integer(), nullable=False),
    sa.Column('shares', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('shares > 0', name=op.f('ck_share_transfers_shares')),
    sa.ForeignKeyConstraint(['collective_id'], ['share_registers.collective_id'], name=op.f('fk_share_transfers_collective_id_share_registers')),
    sa.ForeignKeyConstraint(['from_member_id'], ['parties.id'], name=op.f('fk_share_transfers_from_member_id_parties')),
    sa.ForeignKeyConstraint(['to_member_id'], ['parties.id'], name=op.f('fk_share_transfers_to_member_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_transfers'))
    )
    with op.batch_alter_table('share_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_transfers_collective_id'), ['collective_id'], unique=False)

    op.create_table('shareholdings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collective_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('shares', sa.Integer(), nullable=False),
    sa.CheckConstraint('shares >= 0', name=op.f('ck_shareholdings_shares')),
    sa.ForeignKeyConstraint(['collective_id'], ['share_registers.collective_id'], name=op.f('fk_shareholdings_collective_id_share_registers')),
    sa.ForeignKeyConstraint(['member_id'], ['parties.id'], name=op.f('fk_shareholdings_member_id_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shareholdings')),
    sa.UniqueConstraint('collective_id', 'member_id', name=op.f('uq_shareholdings_collective_id'))
    )
    with op.batch_alter_table('shareholdings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shareholdings_collective_id'), ['collective_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shareholdings_member_id'), ['member_id'], unique=False)

    op.create_table('liens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=True),
    sa.Column('shareholding_id', sa.Integer(), nullable=True),
    sa.Column('shares', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('secured_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('secures_type', sa.String(length=32), nullable=False),
    sa.Column('secures_id', sa.String(length=64), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('mortgage', 'pledge')", name=op.f('ck_liens_kind')),
    sa.CheckConstraint("status IN ('live', 'released')", name=op.f('ck_liens_status')),
    sa.CheckConstraint('(right_id IS NULL) <> (shareholding_id IS NULL)', name=op.f('ck_liens_one_collateral')),
    sa.CheckConstraint('(shareholding_id IS NULL) = (shares IS NULL)', name=op.f('ck_liens_shares_for_holdings')),
    sa.CheckConstraint('secured_amount > 0', name=op.f('ck_liens_secured_amount')),
    sa.CheckConstraint('shares IS NULL OR shares > 0', name=op.f('ck_liens_shares')),
    sa.ForeignKeyConstraint(['holder_id'], ['institutions.id'], name=op.f('fk_liens_holder_id_institutions')),
    sa.ForeignKeyConstraint(['right_id'], ['rights.id'], name=op.f('fk_liens_right_id_rights')),
    sa.ForeignKeyConstraint(['shareholding_id'], ['shareholdings.id'], name=op.f('fk_liens_shareholding_id_shareholdings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_liens'))
    )
    with op.batch_alter_table('liens', schema=None) as batch_op:
        batch_op.create_index('ix_liens_live_holding', ['shareholding_id', 'status'], unique=False)
        batch_op.create_index('ix_liens_live_right', ['right_id', 'status'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_users_party_id_parties'), 'parties', ['party_id'], ['id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_party_id_parties'), type_='foreignkey')

    with op.batch_alter_table('liens', schema=None) as batch_op:
        batch_op.drop_index('ix_liens_live_right')
        batch_op.drop_index('ix_liens_live_holding')

    op.drop_table('liens')
    with op.batch_alter_table('shareholdings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shareholdings_member_id'))
        batch_op.drop_index(batch_op.f('ix_shareholdings_collective_id'))

    op.drop_table('shareholdings')
    with op.batch_alter_table('share_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_transfers_collective_id'))

    op.drop_table('share_transfers')
    with op.batch_alter_table('right_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_right_events_right_id'))
        batch_op.drop_index(batch_op.f('ix_right_events_business_date'))

    op.drop_table('right_events')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_right_id'))

    op.drop_table('consents')
    op.drop_table('share_registers')
    with op.batch_alter_table('rights', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_term_end'))
        batch_op.drop_index(batch_op.f('ix_rights_status'))
        batch_op.drop_index(batch_op.f('ix_rights_region_code'))
        batch_op.drop_index(batch_op.f('ix_rights_holder_id'))

    op.drop_table('rights')
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_members_household_id'))

    op.drop_table('household_members')
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parties_village'))
        batch_op.drop_index(batch_op.f('ix_parties_region_code'))
        batch_op.drop_index(batch_op.f('ix_parties_name'))
        batch_op.drop_index(batch_op.f('ix_parties_collective_id'))

    op.drop_table('parties')
