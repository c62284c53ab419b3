"""`flask members reencrypt`: move every national ID to the current key and lookup key (key rotation).

The KYC commands (`kyc`, `kyc-history`, `notify-kyc-change`) live in app/members/kyc/cli.py.
"""

import click
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.members.identity import IdentityError
from app.unit_of_work import command_unit

BATCH = 500


@click.group("members")
def members_cli():
    """Members: operator maintenance."""


def _kyc_commands():
    """The KYC commands (app/members/kyc/cli.py) under `flask members`."""
    from app.members.kyc.cli import kyc_command, kyc_history_command, notify_kyc_change_command

    for command in (kyc_command, kyc_history_command, notify_kyc_change_command):
        members_cli.add_command(command)


_kyc_commands()


@members_cli.command("reencrypt")
@command_unit
def reencrypt_command():
    """Re-encrypt every national ID under the first ID_ENCRYPTION_KEYS key and recompute its lookup hash.

    Run after putting a new key first (or setting a new ID_LOOKUP_KEY); when it
    reports 0 left on an old key, the old key can be removed. Batches commit as
    they go, so a run can be interrupted and repeated. Prints counts, never an ID.
    """
    from app.members.models import Member
    from app.services import build_services

    services = build_services(current_app, db.session)
    after, changed, unreadable = 0, 0, []
    while True:
        batch = list(db.session.scalars(select(Member).where(Member.id > after).order_by(Member.id)
                                        .limit(BATCH).with_for_update(key_share=True)))
        if not batch:
            break
        for member in batch:
            try:
                changed += services.members.reencrypt(member)
            except IdentityError:
                unreadable.append(member.id)
        db.session.commit()  # a checkpoint per batch: an interrupted run keeps what it did
        after = batch[-1].id
    click.echo(f"re-encrypted {changed} national IDs under key {services.identity_keys.current_id!r}")
    if unreadable:
        raise click.ClickException(f"{len(unreadable)} national IDs no configured key opens (member ids "
                                   f"{', '.join(map(str, unreadable[:20]))}): keep their old key in "
                                   "ID_ENCRYPTION_KEYS")
