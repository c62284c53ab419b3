"""`flask members reencrypt`: every row moves to the current key; the output names no ID."""

import base64

import pytest
from sqlalchemy import select

from app.extensions import db
from app.members.cli import reencrypt_command
from app.members.identity import DEVELOPMENT_KEYS, DEVELOPMENT_LOOKUP_KEY
from app.members.models import Member
from app.services import build_services

ONE = base64.b64encode(b"1" * 32).decode()
TWO = base64.b64encode(b"2" * 32).decode()
LOOKUP = "l" * 40


@pytest.mark.committed
def test_reencrypt_moves_every_row_to_the_first_key(app):
    from tests.member_helpers import unique_phone

    phones = [unique_phone() for _ in range(3)]
    app.config.update(ID_ENCRYPTION_KEYS=f"k1={ONE}", ID_LOOKUP_KEY=LOOKUP)
    try:
        services = build_services(app, db.session)
        for index, phone in enumerate(phones):
            services.members.register(phone=phone, name="Amina Wanjiru", national_id=f"7700{index:04d}", locale="en")
        db.session.commit()
        # other committed tests' rows are on the development key: it stays readable
        app.config.update(ID_ENCRYPTION_KEYS=f"k2={TWO},k1={ONE},{DEVELOPMENT_KEYS}")
        result = app.test_cli_runner().invoke(reencrypt_command)
        assert result.exit_code == 0, result.output
        assert "7700" not in result.output
        app.config.update(ID_ENCRYPTION_KEYS=f"k2={TWO}")  # k1 is gone: every row still opens
        db.session.expire_all()
        services = build_services(app, db.session)
        members = list(db.session.scalars(select(Member).where(Member.phone.in_(phones)).order_by(Member.id)))
        assert [services.members.national_id(m) for m in members] == [f"7700{i:04d}" for i in range(3)]
        assert all(m.national_id_encrypted.startswith("k2$") for m in members)
    finally:  # every row back on the development keys the rest of the run reads with
        db.session.rollback()
        app.config.update(ID_ENCRYPTION_KEYS=f"{DEVELOPMENT_KEYS},k2={TWO},k1={ONE}",
                          ID_LOOKUP_KEY=DEVELOPMENT_LOOKUP_KEY)
        app.test_cli_runner().invoke(reencrypt_command)
        app.config.update(ID_ENCRYPTION_KEYS="", ID_LOOKUP_KEY="")
