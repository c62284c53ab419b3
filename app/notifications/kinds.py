"""Every kind of notification: its English text, urgency and WhatsApp template variables.

Urgent kinds (security and money movements) go out at once, even in quiet hours,
and even to a member who opted out of SMS; the rest (reminders, news) wait for the
morning and respect the opt-out. A kind's WhatsApp template is configured per
kind and language in WHATSAPP_TEMPLATES (`repayment_due:en=HX...`); `variables`
names the parameters, in order, that fill the template's {{1}}, {{2}}, ...
Texts are written to fit one GSM-7 SMS (160 characters) with typical values.
"""

from typing import NamedTuple

from app.i18n import N_


class Kind(NamedTuple):
    msgid: str
    urgent: bool
    variables: tuple = ()


KINDS = {
    "welcome": Kind(N_("Welcome to Pamoja, {name}! Dial {ussd_code} to save, borrow and pay. Never share your PIN."),
                    True, ("name",)),
    "pin_changed": Kind(N_("Your Pamoja PIN was changed. If this was not you, dial {ussd_code} or see your agent "
                           "at once."), True),
    "pin_locked": Kind(N_("Your Pamoja account is locked for {minutes} min after wrong PINs. If this was not you, "
                          "see your agent."), True, ("minutes",)),
    "deposit_received": Kind(N_("Pamoja {ref}: {amount} received into your savings. Balance: {balance}."), True,
                             ("amount", "balance")),
    "withdrawal_sent": Kind(N_("Pamoja {ref}: {amount} sent to your mobile money. Savings balance: {balance}."), True,
                            ("amount", "balance")),
    "payment_failed": Kind(N_("Pamoja: your payment of {amount} did not go through. {reason}"), True,
                           ("amount", "reason")),
    # a transfer between members (app/savings/services.py): the sender and the receiver are each told,
    # each in their own language; {name} is the other member's first name and initial (app/members/names.py)
    "transfer_sent": Kind(N_("Pamoja {ref}: you sent {amount} to {name}, fee {fee}. Savings balance: {balance}."),
                          True, ("ref", "amount", "name", "fee", "balance")),
    "transfer_received": Kind(N_("Pamoja {ref}: {name} sent you {amount}. Savings balance: {balance}."),
                              True, ("ref", "name", "amount", "balance")),
    "contribution_received": Kind(N_("Pamoja {ref}: your contribution of {amount} to {group} is received. Thank you!"),
                                  True, ("amount", "group")),
    "group_payout": Kind(N_("Pamoja {ref}: {group} paid you {amount}. Savings balance: {balance}."), True,
                         ("group", "amount", "balance")),
    # groups that run themselves (app/groups): officials hear of each join request and of each payout
    # the scheduler proposes; the joiner hears the decision; a member who leaves gets their share back
    "group_join_request": Kind(N_("Pamoja: {name} asks to join {group}. Dial {ussd_code}, My groups, {group}, "
                                  "Join requests to approve or decline."), False, ("name", "group")),
    "group_join_approved": Kind(N_("Pamoja: you are now a member of {group}. Dial {ussd_code} to contribute."),
                                True, ("group",)),
    "group_join_declined": Kind(N_("Pamoja: your request to join {group} was declined. Ask its chair why."),
                                True, ("group",)),
    "group_payout_due": Kind(N_("Pamoja: {group} payout of {amount} to {name} is due ({due_date}). Dial "
                                "{ussd_code}, My groups, {group}, Pay out and confirm with your PIN."), False,
                             ("group", "amount", "name", "due_date")),
    "group_share_out": Kind(N_("Pamoja {ref}: {group} shared out its money. {amount} went into your savings. "
                               "Balance: {balance}."), True, ("ref", "group", "amount", "balance")),
    "group_left": Kind(N_("Pamoja {ref}: you left {group}. {amount} of your contributions went back to your "
                          "savings. Balance: {balance}."), True, ("ref", "group", "amount", "balance")),
    "loan_approved": Kind(N_("Pamoja: your loan of {amount} is approved. The money is on its way."), True,
                          ("amount",)),
    "loan_declined": Kind(N_("Pamoja: your loan request of {amount} was not approved. {reason}"), True,
                          ("amount", "reason")),
    # the loan's amount and its fee, not only what was received (a fee added to the first instalment is named too)
    "loan_disbursed": Kind(N_("Pamoja: your loan of {amount} is paid out, fee {fee}: you get {net}. First repayment "
                              "due {due_date}."), True, ("amount", "due_date", "fee", "net")),
    "repayment_received": Kind(N_("Pamoja {ref}: repayment of {amount} received. Loan balance: {balance}."), True,
                               ("amount", "balance")),
    "repayment_due": Kind(N_("Pamoja reminder: your loan repayment of {amount} is due on {due_date}. "
                             "Dial {ussd_code} to pay."), False, ("amount", "due_date")),
    "repayment_due_today": Kind(N_("Pamoja: your loan repayment of {amount} is due today. Dial {ussd_code} to pay "
                                   "on time."), False, ("amount",)),
    "repayment_overdue": Kind(N_("Pamoja: your repayment of {amount} due on {due_date} is overdue. Please pay now "
                                 "to avoid penalties. Dial {ussd_code}."), False, ("amount", "due_date")),
    "contribution_due": Kind(N_("Pamoja reminder: your {group} contribution of {amount} is due on {due_date}. "
                                "Dial {ussd_code} to pay."), False, ("group", "amount", "due_date")),
    "guarantor_request": Kind(N_("Pamoja: {name} asks you to guarantee {amount} of a loan. Dial {ussd_code} to "
                                 "accept or decline."), False, ("name", "amount")),
    # {after}: the member's savings or loan balance after it, or the group (app/agents/cash.py)
    "agent_receipt": Kind(N_("Pamoja receipt {receipt}: {what} {amount} by agent {agent}. {after} Not you? "
                             "SMS DISPUTE {receipt} within 24h."), True, ("receipt", "what", "amount", "agent",
                                                                         "after")),
    "float_topped_up": Kind(N_("Pamoja {ref}: your float top-up of {amount} is received. Float: {float}."), True,
                            ("ref", "amount", "float")),
    "agent_daily_summary": Kind(N_("Pamoja {date}: {count} transactions, {total} collected. Float: {float}."),
                                False, ("date", "count", "total", "float")),
    "agent_dispute": Kind(N_("Pamoja: a member disputed receipt {receipt}. It is under review."), True,
                          ("receipt",)),
    "payment_refunded": Kind(N_("Pamoja {ref}: {amount} was refunded to your mobile money. Savings balance: "
                                "{balance}."), True, ("amount", "balance")),
    "payment_recovered": Kind(N_("Pamoja {ref}: {amount} paid to you twice by mistake was taken back and returned to "
                                 "your savings. Balance: {balance}."), True, ("amount", "balance")),
    "correction_credit": Kind(N_("Pamoja correction {ref}: {amount} added to your account. Balance: {balance}. "
                                 "Questions? Call your branch."), True, ("amount", "balance")),
    "correction_debit": Kind(N_("Pamoja correction {ref}: {amount} taken from your account to undo an earlier "
                                "mistake. Balance: {balance}."), True, ("amount", "balance")),
    "kyc_raised": Kind(N_("Pamoja: your account is now at level {tier} and your limits are raised. Dial "
                          "{ussd_code} to use them."), True, ("tier",)),
    "kyc_lowered": Kind(N_("Pamoja: your account is now at level {tier} and your limits are lower. To raise them, "
                           "visit a Pamoja agent with your ID."), True, ("tier",)),
    "kyc_migrated": Kind(N_("Pamoja: your limits now depend on a verified ID. Visit any Pamoja agent with your ID "
                            "card to verify it and raise your limits."), True),
    "dispute_received": Kind(N_("Pamoja: we received your dispute of receipt {receipt}. We will call you."), True,
                             ("receipt",)),
    # agent dispute outcomes (app/agents/disputes.py), to the member and the agent alike; {where} is
    # "your savings" or "your float"
    "dispute_upheld_paid": Kind(N_("Pamoja: the dispute of receipt {receipt} was upheld. {amount} was added to "
                                   "{where}."), True, ("receipt", "amount", "where")),
    "dispute_upheld_charged": Kind(N_("Pamoja: the dispute of receipt {receipt} was upheld. {amount} was taken "
                                      "from {where}."), True, ("receipt", "amount", "where")),
    "dispute_upheld_owed": Kind(N_("Pamoja: the dispute of receipt {receipt} was upheld. {taken} was taken from "
                                   "{where} and you owe Pamoja {owed}. Please call us."), True,
                                ("receipt", "taken", "where", "owed")),
    "dispute_rejected": Kind(N_("Pamoja: the dispute of receipt {receipt} was reviewed and rejected. The "
                                "transaction stands."), True, ("receipt",)),
}
"""kind -> Kind. `notify` refuses a kind not listed here."""

MOVEMENT_CONFIRMATIONS = frozenset({
    "deposit_received", "withdrawal_sent", "transfer_sent", "transfer_received", "contribution_received",
    "group_payout", "repayment_received", "agent_receipt", "float_topped_up", "payment_refunded",
    "payment_recovered", "correction_credit", "correction_debit",
})
"""Kinds that are the one confirmation of a money movement to the member (or agent) it moved for: each says
the amount and the movement's reference (`{ref}`, or an agent's `{receipt}`), and the balance where the money
is now theirs (tests/app/notifications/test_movement_confirmations.py)."""

RESEND_WHEN_UNKNOWN = frozenset({
    "deposit_received", "withdrawal_sent", "payment_failed", "contribution_received", "group_payout",
    "group_left", "group_share_out", "transfer_sent", "transfer_received", "float_topped_up",
    "loan_disbursed", "repayment_received", "agent_receipt", "pin_changed", "pin_locked", "sms_reply",
    "payment_refunded", "payment_recovered", "correction_credit", "correction_debit",
})
"""Outbox kinds sent again when a send's outcome is unknown (a killed worker, a timeout) and the provider
cannot say: money confirmations, security alarms and command replies (they carry `YES <code>` codes).
A member told twice is better than one never told. Everything else (reminders, news, invitations) is
marked failed instead: a reminder twice is the harm, a reminder lost is not."""


def parse_templates(setting):
    """`"repayment_due:en=HX1,repayment_due:sw=HX2"` -> {("repayment_due", "en"): "HX1", ...}."""
    templates = {}
    for item in str(setting or "").split(","):
        name, _, sid = item.strip().partition("=")
        kind, _, locale = name.strip().partition(":")
        if kind and locale and sid.strip():
            templates[(kind, locale.strip())] = sid.strip()
    return templates
