"""The PIN check every money screen uses: right -> on, wrong -> again, locked -> end."""

from app.members.errors import PinLocked
from menus.engine import Finish, Reprompt


def pin_check(ctx, pin):
    """A Pin screen action: None when right; keeps the failure count when wrong."""
    member, fresh = ctx.member_for_pin_check()
    error = ctx.services.members.check_pin(member, pin, fresh=fresh)
    if error is None:
        return None
    return Finish(error.message) if isinstance(error, PinLocked) else Reprompt(error.message)
