"""Applying for a loan: the quote is shown before the PIN and the confirmation.

product (when more than one) -> amount (within the limit, or guarantors' phones
above it, see loan_apply_guarantors) -> term -> one quote screen (instalment,
count, total, cost) -> where to receive -> PIN -> confirm. The answers live in
ctx.data; the quote is recomputed from them rather than stored.
"""

from datetime import date

from app.i18n import N_, T
from app.loans import errors
from app.loans.states import DISBURSED
from menus.member.amount_input import amount_with
from menus.member.loan_apply_guarantors import guarantors_prompt, parse_guarantors
from menus.member.loan_common import loans, refused
from menus.member.pin_check import pin_check
from menus.screens import Branch, Confirm, End, Input, Invalid, Menu, Option, Paged, Pin, Stop

FREQUENCY = {"monthly": N_("monthly"), "weekly": N_("weekly")}
PERIODS = {"monthly": N_("{count} months"), "weekly": N_("{count} weeks")}
WHERE = {"mobile_money": N_("mobile money"), "savings": N_("your savings")}
DESTINATIONS = {"1": "mobile_money", "2": "savings"}


def product_of(ctx):
    return loans(ctx).product(ctx.data["product_id"])


def start_application(ctx):
    refused(lambda: loans(ctx).check_member(ctx.member))
    products = loans(ctx).products(ctx.member)
    if not products:
        raise Stop(errors.NoProduct.message)
    ctx.data["product_id"] = products[0].id
    return "one" if len(products) == 1 else "many"


def product_items(ctx):
    return [(T(N_("{product} ({rate}% a year)"), product=product.name,
               rate=format(product.annual_rate.normalize(), "f")), product.id)
            for product in loans(ctx).products(ctx.member)]


def choose_product(ctx, item):
    ctx.data["product_id"] = item[1]


def amount_prompt(ctx):
    product = product_of(ctx)
    credit = loans(ctx).limit(ctx.member, product)
    return T(N_("{product}: {low} to {high}.\nYour limit: {limit}\nEnter amount:"), product=product.name,
             low=product.min_amount, high=product.max_amount, limit=credit.limit)


def check_loan_amount(ctx, amount):
    ctx.data["above_limit"] = loans(ctx).check_amount(ctx.member, product_of(ctx), amount)


def after_amount(ctx, amount):
    return "guarantors" if ctx.data["above_limit"].minor else "ok"


def term_prompt(ctx):
    product = product_of(ctx)
    return [T(N_("Repay over:"))] + [
        T(N_("{number}. {period}"), number=number, period=T(PERIODS[product.frequency], count=term))
        for number, term in enumerate(product.terms, start=1)]


def parse_term(ctx, raw):
    terms = product_of(ctx).terms
    if not (raw.isdigit() and 1 <= int(raw) <= len(terms)):
        raise Invalid(T(N_("Choose a number from the list.")))
    return terms[int(raw) - 1]


def quote_of(ctx):
    return loans(ctx).quote(product_of(ctx), ctx.data["amount"], ctx.data["term"])


def quote_text(ctx):
    quote, product = quote_of(ctx), product_of(ctx)
    return T(N_("Loan {amount}\nPay {instalment} {frequency} x{count}\nTotal {total}\n"
                "Cost {cost} (interest+fees)\nYou get {receive}"),
             amount=quote.principal, instalment=quote.instalment, frequency=T(FREQUENCY[product.frequency]),
             count=quote.count, total=quote.total, cost=quote.cost, receive=quote.receive)


def quote_schedule_lines(ctx):
    return [T(N_("{number}. {date} {amount}"), number=row.number, date=row.due_date,
              amount=row.amount) for row in quote_of(ctx).schedule]


def parse_destination(ctx, raw):
    if raw not in DESTINATIONS:
        raise Invalid(T(N_("Choose a number from the list.")))
    return DESTINATIONS[raw]


def confirm_application(ctx):
    quote = quote_of(ctx)
    return T(N_("Borrow {amount}, repay {total} in {count} payments. You get {receive} to {where}."),
             amount=quote.principal, total=quote.total, count=quote.count, receive=quote.receive,
             where=where_to(ctx))


def where_to(ctx):
    destination = ctx.data["destination"]
    return T(WHERE[destination])


def apply(ctx):
    members = ctx.services.members
    guarantors = [members.by_phone(phone) for phone in ctx.data.get("guarantors", [])]
    loan = refused(lambda: loans(ctx).apply_for(
        ctx.member, product_of(ctx), ctx.data["amount"], ctx.data["term"],
        idempotency_key=ctx.idempotency_key("loan"), destination=ctx.data["destination"], guarantors=guarantors,
        actor=f"member:{ctx.member.id}", channel=ctx.state.channel, session_ref=ctx.session_ref))
    if loan.state == DISBURSED:
        first = loans(ctx).schedule(loan)[0]
        ctx.data["first_due"] = first.due_date.isoformat()
        ctx.data["first_amount"] = first.total_due
        return "disbursed"
    return "guarantors" if ctx.data.get("guarantors") else "pending"


def disbursed_text(ctx):
    return T(N_("Approved! {receive} is on its way to {where}. First payment {amount} due {date}."),
             receive=quote_of(ctx).receive, where=where_to(ctx),
             amount=ctx.data["first_amount"], date=date.fromisoformat(ctx.data["first_due"]))


SCREENS = [
    Branch("loan_apply", decide=start_application, next={"one": "loan_apply_amount", "many": "loan_apply_product"}),
    Paged("loan_apply_product", N_("Choose a loan:"), items=product_items, select=choose_product,
          next="loan_apply_amount"),
    Input("loan_apply_amount", amount_prompt, key="amount", parse=amount_with(check_loan_amount), action=after_amount,
          next={"ok": "loan_apply_term", "guarantors": "loan_apply_guarantors"}),
    Input("loan_apply_guarantors", guarantors_prompt, key="guarantors", parse=parse_guarantors,
          next="loan_apply_term"),
    Input("loan_apply_term", term_prompt, key="term", parse=parse_term, next="loan_apply_quote"),
    Menu("loan_apply_quote", quote_text, options=[
        Option(N_("Accept"), "loan_apply_destination"),
        Option(N_("See schedule"), "loan_apply_schedule"),
    ]),
    Paged("loan_apply_schedule", N_("Repayments:"), items=quote_schedule_lines, next="loan_apply_destination"),
    Input("loan_apply_destination", N_("Receive the money to:\n1. Mobile money\n2. My savings"), key="destination",
          parse=parse_destination, next="loan_apply_pin"),
    Pin("loan_apply_pin", N_("Enter your PIN to apply:"), action=pin_check, next="loan_apply_confirm"),
    Confirm("loan_apply_confirm", confirm_application, on_yes=apply,
            next={"disbursed": "loan_apply_disbursed", "pending": "loan_apply_pending",
                  "guarantors": "loan_apply_asked"}),
    End("loan_apply_disbursed", disbursed_text),
    End("loan_apply_pending", N_("Application received. A loan officer will decide soon and we will SMS you.")),
    End("loan_apply_asked", N_("Application received. Your guarantors have been asked; we will SMS you.")),
]
