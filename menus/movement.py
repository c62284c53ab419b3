"""One order of steps for every money movement: amount -> who/where -> ONE confirmation -> PIN -> done.

Members know one order from M-Pesa, so every movement asks it the same way, on every
tree: the amount first, then who or where (recipient, source, group), then a single
confirmation screen with the amount, the fee, the total and who receives it, then the
PIN, which runs the movement. Every check (limits, balance, fee, recipient) runs on
the screen whose input it concerns, before the confirmation, while the member can
still correct it; the PIN is the last step, never followed by a refusal a check
could have given earlier (a refusal after it is a race, and ends the session).

`confirmation(...)` builds the confirmation and PIN screens of one movement; the flows
(menus/member/*.py, menus/agent_cash.py) keep their own amount and who/where screens.
Session data the confirmation reads: `amount` (Money), `fee` (Money, absent: none),
and whatever the flow's `title` and `to` functions read.
"""

from app.i18n import N_, T
from app.money import Money
from menus.screens import Confirm, Pin

SUMMARY = N_("{title}\nTo: {to}\nAmount: {amount}\nFee: {fee}\nTotal: {total}")
"""The one confirmation text: what, to whom, amount, fee, total."""


def summary(title, to, amount, fee=None):
    """The confirmation's Text; no fee is a zero fee, said so (the member sees the total either way)."""
    fee = fee if fee is not None else Money.zero(amount.currency)
    return T(SUMMARY, title=title, to=to, amount=amount, fee=fee, total=amount + fee)


def confirmation(prefix, *, title, to, run, pin_check, next, pin_prompt=N_("Enter your PIN to confirm:"),
                 cancel="cancelled", amount=None, fee=None):
    """The `<prefix>_confirm` and `<prefix>_pin` screens of one movement.

    `title(ctx)` and `to(ctx)` say what and to whom; `amount(ctx)` / `fee(ctx)` default to
    `ctx.data["amount"]` / `ctx.data.get("fee")`. `pin_check(ctx, pin)` returns None when
    the PIN is right (or a Reprompt/Finish); then `run(ctx)` moves the money and returns the
    outcome that picks `next`.
    """
    amount = amount or (lambda ctx: ctx.data["amount"])
    fee = fee or (lambda ctx: ctx.data.get("fee"))

    def prompt(ctx):
        return summary(title(ctx), to(ctx), amount(ctx), fee(ctx))

    def after_pin(ctx, pin):
        refused = pin_check(ctx, pin)
        return refused if refused is not None else run(ctx)

    return [
        Confirm(f"{prefix}_confirm", prompt, next=f"{prefix}_pin", cancel=cancel),
        Pin(f"{prefix}_pin", pin_prompt, action=after_pin, next=next),
    ]
