"""Applying for a loan: the whole disclosure is shown, and sent by SMS, before the member accepts.

product (when more than one) -> amount (within the limit, or guarantors' phones
above it, see loan_apply_guarantors) -> term -> where to receive -> the disclosure
(menus/member/loan_disclosure.py: what is received, each instalment and its date, total,
cost of credit, APR, flat or declining; as many USSD pages as it takes) with
"Accept this loan?" -> PIN -> done. Choosing where sends the full statement by SMS.
The answers live in ctx.data; the disclosure is recomputed from them rather than stored.
"""

from datetime import date

from app.i18n import N_, T
from app.loans import errors
from app.loans.states import DISBURSED
from menus.member.amount_input import amount_with
from menus.member.loan_apply_guarantors import guarantors_prompt, parse_guarantors
from menus.member.loan_common import loans, refused
from menus.member.loan_disclosure import WHERE, disclosure_lines, send_statement
from menus.member.pin_check import pin_check
from menus.screens import Branch, Confirm, End, Input, Invalid, Paged, Pin, Stop

PERIODS = {"monthly": N_("{count} months"), "weekly": N_("{count} weeks")}
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


def disclosure_prompt(ctx):
    return [*disclosure_lines(quote_of(ctx), ctx.data["destination"]), T(N_("Accept this loan?"))]


def statement_by_sms(ctx, destination):
    """The full statement goes by SMS as the disclosure is shown: the member keeps it, accepted or not."""
    send_statement(ctx.services, ctx.member, quote_of(ctx), destination)


def parse_destination(ctx, raw):
    if raw not in DESTINATIONS:
        raise Invalid(T(N_("Choose a number from the list.")))
    return DESTINATIONS[raw]


def where_to(ctx):
    destination = ctx.data["destination"]
    return T(WHERE[destination])


def apply_after_pin(ctx, pin):
    wrong = pin_check(ctx, pin)
    return wrong if wrong is not None else apply(ctx)


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
    Input("loan_apply_term", term_prompt, key="term", parse=parse_term, next="loan_apply_destination"),
    Input("loan_apply_destination", N_("Receive the money to:\n1. Mobile money\n2. My savings"), key="destination",
          parse=parse_destination, action=statement_by_sms, next="loan_apply_disclosure"),
    Confirm("loan_apply_disclosure", disclosure_prompt, next="loan_apply_pin"),
    Pin("loan_apply_pin", N_("Enter your PIN to accept the loan:"), action=apply_after_pin,
        next={"disbursed": "loan_apply_disbursed", "pending": "loan_apply_pending",
              "guarantors": "loan_apply_asked"}),
    End("loan_apply_disbursed", disbursed_text),
    End("loan_apply_pending", N_("Application received. A loan officer will decide soon and we will SMS you.")),
    End("loan_apply_asked", N_("Application received. Your guarantors have been asked; we will SMS you.")),
]
