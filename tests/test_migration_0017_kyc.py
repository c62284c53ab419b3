"""Migration 0017: members who typed an ID become tier 1, the others tier 0, each move recorded once."""

import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from tests.migration_helpers import scratch_app

SCHEMA = f"t_mig0017_{os.getpid()}"


def test_old_levels_move_to_the_new_numbering_and_back(app):
    with scratch_app(app, SCHEMA) as scratch, scratch.app_context():
        engine = db.engine
        upgrade(revision="0016")
        with engine.begin() as conn:
            for phone, level, lookup in (("+254700000001", 2, "abc"), ("+254700000002", 1, "")):
                conn.execute(text(
                    "INSERT INTO members (phone, name, national_id_encrypted, national_id_lookup, locale, "
                    "currency, pin_failures, kyc_level, preferred_channel, sms_opted_out) VALUES "
                    "(:phone, 'Amina', 'x', :lookup, 'en', 'KES', 0, :level, 'sms', false)"),
                    {"phone": phone, "level": level, "lookup": lookup})
        upgrade(revision="0017")
        with engine.connect() as conn:
            levels = dict(conn.execute(text("SELECT phone, kyc_level FROM members")).all())
            changes = conn.execute(text("SELECT from_tier, to_tier, source FROM kyc_changes ORDER BY id")).all()
        assert levels == {"+254700000001": 1, "+254700000002": 0}
        assert [tuple(row) for row in changes] == [(2, 1, "migration"), (1, 0, "migration")]
        downgrade(revision="0016")
        with engine.connect() as conn:
            levels = dict(conn.execute(text("SELECT phone, kyc_level FROM members")).all())
        assert levels == {"+254700000001": 2, "+254700000002": 1}
