"""Loans: my limit, apply (quote before PIN and confirmation), my loan, schedule, repay, guarantee requests.

Apply: product (when more than one) -> amount (within the limit, or guarantors'
phones above it) -> term -> one quote screen (instalment, count, total, cost) ->
where to receive -> PIN -> confirm. Repay: amount (never beyond the payoff) ->
savings or mobile money -> PIN -> confirm. Every rule is the loan service's: the
screens only ask, show and pass its translated refusals on.
"""

from datetime import date

from app.i18n import N_, T
from app.ledger.errors import InsufficientFunds
from app.loans import errors
from app.loans.models import LoanProduct
from app.payments.errors import PaymentError
from app.phones import InvalidPhone, normalize_phone
from menus.member.amounts import amount_with
from menus.member.pins import pin_check
from menus.screens import Branch, Confirm, End, Input, Invalid, Menu, Option, Paged, Pin, Stop

FREQUENCY = {"monthly": N_("monthly"), "weekly": N_("weekly")}
PERIODS = {"monthly": N_("{count} months"), "weekly": N_("{count} weeks")}
WHERE = {"mobile_money": N_("mobile money"), "savings": N_("your savings")}
DESTINATIONS = {"1": "mobile_money", "2": "savings"}
SOURCES = {"1": "savings", "2": "mobile_money"}
STATUS = {"paid": N_("paid"), "late": N_("late"), "due": N_("due")}


def loans(ctx):
    return ctx.services.loans


def refused(call):
    """Run a service call; a loan or payment refusal ends the session with its reason."""
    try:
        return call()
    except (errors.LoanError, PaymentError, InsufficientFunds) as error:
        raise Stop(error.message) from None


def on_books(ctx):
    loan = loans(ctx).current(ctx.member)
    return loan if loan is not None and loan.state in ("disbursed", "defaulted") else None


# -- my limit ---------------------------------------------------------------------------

def limit_lines(ctx):
    products = loans(ctx).products(ctx.member)
    credits = [(product, loans(ctx).limit(ctx.member, product)) for product in products]
    lines = [T(N_("{product}: up to {limit}"), product=product.name, limit=credit.limit) for product, credit in credits]
    if credits:
        lines.append(max(credits, key=lambda pair: pair[1].limit.minor)[1].reason)
    return lines


# -- applying ---------------------------------------------------------------------------

def product_of(ctx):
    return ctx.services.session.get(LoanProduct, ctx.data["product_id"])


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
             low=product.money(product.min_amount), high=product.money(product.max_amount), limit=credit.limit)


def check_loan_amount(ctx, amount):
    ctx.data["above_limit"] = loans(ctx).check_amount(ctx.member, product_of(ctx), amount)


def after_amount(ctx, amount):
    return "guarantors" if ctx.data["above_limit"].minor else "ok"


def guarantors_prompt(ctx):
    return T(N_("Above your limit by {amount}. Enter 1 to 3 guarantor phone numbers, separated by spaces:"),
             amount=ctx.data["above_limit"])


def split_phones(raw, region):
    """Phone numbers typed one after another: "0722 000 111 0733123456" -> two E.164 numbers.

    Keypads have no comma, and people type spaces inside numbers too, so tokens are joined
    until they make a valid number that the next token would not extend. Raises InvalidPhone.
    """
    def valid(text):
        try:
            return normalize_phone(text, region)
        except InvalidPhone:
            return None

    tokens = raw.replace(",", " ").replace("#", " ").split()
    phones, current = [], ""
    for index, token in enumerate(tokens):
        current += token
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if valid(current) and (following is None or not valid(current + following)):
            phones.append(valid(current))
            current = ""
    if current:
        raise InvalidPhone(current)
    return phones


def parse_guarantors(ctx, raw):
    members = ctx.services.members
    try:
        phones = split_phones(raw, ctx.services.config["DEFAULT_REGION"])
    except InvalidPhone as error:
        raise Invalid(T(N_("{phone} is not a phone number."), phone=str(error))) from None
    for phone in phones:
        guarantor = members.by_phone(phone)
        if guarantor is None or guarantor.id == ctx.member.id:
            raise Invalid(errors.BadGuarantor.message)
    if not phones or len(phones) > 3 or len(set(phones)) < len(phones):
        raise Invalid(errors.TooManyGuarantors.message)
    return phones


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
    return [T(N_("{number}. {date} {amount}"), number=row.number, date=row.due_date.strftime("%d/%m/%y"),
              amount=product_of(ctx).money(row.total)) for row in quote_of(ctx).schedule]


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
    if loan.state == "disbursed":
        first = loans(ctx).schedule(loan)[0]
        ctx.data["first_due"] = first.due_date.isoformat()
        ctx.data["first_amount"] = loan.money(first.total_due)
        return "disbursed"
    return "guarantors" if ctx.data.get("guarantors") else "pending"


def disbursed_text(ctx):
    return T(N_("Approved! {receive} is on its way to {where}. First payment {amount} due {date}."),
             receive=quote_of(ctx).receive, where=where_to(ctx),
             amount=ctx.data["first_amount"], date=date.fromisoformat(ctx.data["first_due"]))


# -- my loan, schedule ------------------------------------------------------------------

def my_loan_lines(ctx):
    loan = loans(ctx).current(ctx.member)
    if loan is None or loan.state in ("closed", "declined"):
        return []
    if loan.state in ("applied", "approved"):
        return [T(N_("Your loan of {amount} is waiting for approval."), amount=loan.money(loan.principal))]
    summary = loans(ctx).summary(loan)
    lines = [T(N_("Balance: {amount}"), amount=summary.outstanding)]
    if summary.next_due_date:
        lines.append(T(N_("Next: {amount} by {date}"), amount=summary.next_due, date=summary.next_due_date))
    if summary.arrears:
        lines.append(T(N_("Overdue: {amount}"), amount=summary.arrears))
    lines.append(T(N_("To clear today: {amount}"), amount=summary.payoff))
    return lines


def schedule_lines(ctx):
    loan = on_books(ctx)
    if loan is None:
        return []
    today = ctx.services.clock.today()
    lines = []
    for row in loans(ctx).schedule(loan):
        status = "paid" if row.paid else ("late" if row.due_date < today else "due")
        lines.append(T(N_("{number}. {date} {amount} {status}"), number=row.number,
                       date=row.due_date.strftime("%d/%m/%y"), amount=loan.money(row.total_due),
                       status=T(STATUS[status])))
    return lines


# -- repaying ---------------------------------------------------------------------------

def start_repayment(ctx):
    loan = on_books(ctx)
    if loan is None:
        raise Stop(errors.NoLoan.message)
    ctx.data["loan_id"] = loan.id
    return "ok"


def repay_prompt(ctx):
    summary = loans(ctx).summary(loans(ctx).get(ctx.data["loan_id"]))
    return T(N_("You owe {payoff}. Next payment {amount}.\nEnter amount to pay:"), payoff=summary.payoff,
             amount=summary.next_due)


def check_repayment(ctx, amount):
    owed = loans(ctx).repayments.payoff(loans(ctx).get(ctx.data["loan_id"]))
    if amount > owed:
        raise errors.PaysTooMuch(owed)


def parse_source(ctx, raw):
    if raw not in SOURCES:
        raise Invalid(T(N_("Choose a number from the list.")))
    return SOURCES[raw]


def confirm_repayment(ctx):
    source = T(N_("your savings")) if ctx.data["source"] == "savings" else T(N_("mobile money"))
    return T(N_("Pay {amount} to your loan from {source}?"), amount=ctx.data["amount"], source=source)


def repay(ctx):
    service, key = loans(ctx), ctx.idempotency_key("repay")
    audit = {"actor": f"member:{ctx.member.id}", "channel": ctx.state.channel, "session_ref": ctx.session_ref}
    if ctx.data["source"] == "savings":
        refused(lambda: service.repay_from_savings(ctx.data["loan_id"], ctx.data["amount"], idempotency_key=key,
                                                   **audit))
        ctx.data["balance"] = service.repayments.payoff(service.get(ctx.data["loan_id"]))
        return "paid"
    refused(lambda: service.start_mobile_repayment(ctx.data["loan_id"], ctx.data["amount"], idempotency_key=key,
                                                   **audit))
    return "sent"


# -- guarantee requests -----------------------------------------------------------------

def request_items(ctx):
    members = ctx.services.members
    items = []
    for guarantee in loans(ctx).guarantees.open_requests(ctx.member):
        loan = guarantee.loan
        borrower = members.get(loan.member_id)
        items.append((T(N_("{name}: {amount}"), name=borrower.name, amount=loan.money(loan.guarantee_needed)),
                      guarantee.id))
    return items


def choose_request(ctx, item):
    ctx.data["guarantee_id"] = item[1]


def open_request(ctx):
    from app.loans.models import LoanGuarantee

    guarantee = ctx.services.session.get(LoanGuarantee, ctx.data["guarantee_id"])
    loan = guarantee.loan
    return guarantee, loan, ctx.services.members.get(loan.member_id)


def request_prompt(ctx):
    _guarantee, loan, borrower = open_request(ctx)
    return T(N_("{name} asks you to guarantee {amount} of a loan of {total}."), name=borrower.name,
             amount=loan.money(loans(ctx).guarantees.missing(loan)), total=loan.money(loan.principal))


def pledge_prompt(ctx):
    _guarantee, loan, _borrower = open_request(ctx)
    return T(N_("Amount to pledge (up to {amount}). It stays locked in your savings until the loan is repaid:"),
             amount=loan.money(loans(ctx).guarantees.missing(loan)))


def check_pledge(ctx, amount):
    _guarantee, loan, _borrower = open_request(ctx)
    missing = loans(ctx).guarantees.missing(loan)
    if amount.minor > missing:
        raise errors.PledgeTooLarge(loan.money(missing))
    if amount > ctx.services.savings.balance(ctx.member):
        raise Invalid(InsufficientFunds.message)


def confirm_pledge(ctx):
    _guarantee, _loan, borrower = open_request(ctx)
    return T(N_("Lock {amount} of your savings as a guarantee for {name}?"), amount=ctx.data["pledge"],
             name=borrower.name)


def pledge(ctx):
    refused(lambda: loans(ctx).guarantees.pledge(ctx.data["guarantee_id"], ctx.member, ctx.data["pledge"],
                                                 key=ctx.idempotency_key("pledge"), channel=ctx.state.channel,
                                                 session_ref=ctx.session_ref))


def decline_request(ctx):
    refused(lambda: loans(ctx).guarantees.decline(ctx.data["guarantee_id"], ctx.member))


# -- group loan approvals (officials) ---------------------------------------------------

def is_official(ctx):
    from app.loans.groups import official_group_ids

    return bool(official_group_ids(ctx.services.session, ctx.member))


def approval_items(ctx):
    members = ctx.services.members
    return [(T(N_("{name}: {amount}"), name=members.get(loan.member_id).name, amount=loan.money(loan.principal)),
             loan.id) for loan in loans(ctx).awaiting_official(ctx.member)]


def choose_approval(ctx, item):
    ctx.data["approve_loan_id"] = item[1]


def confirm_approval(ctx):
    loan = loans(ctx).get(ctx.data["approve_loan_id"])
    return T(N_("Approve the loan of {amount} for {name} from the group?"), amount=loan.money(loan.principal),
             name=ctx.services.members.get(loan.member_id).name)


def approve_as_official(ctx):
    loan = refused(lambda: loans(ctx).approve_as_official(ctx.data["approve_loan_id"], ctx.member,
                                                          channel=ctx.state.channel))
    return "approved" if loan.state != "applied" else "recorded"


SCREENS = [
    Menu("loans", N_("Loans"), options=[
        Option(N_("My limit"), "loan_limit"),
        Option(N_("Apply for a loan"), "loan_apply"),
        Option(N_("My loan"), "loan_mine"),
        Option(N_("Schedule"), "loan_schedule"),
        Option(N_("Repay"), "loan_repay"),
        Option(N_("Guarantee requests"), "loan_guarantees"),
        Option(N_("Group loan approvals"), "loan_approvals", visible=is_official),
    ]),
    Paged("loan_limit", N_("My loan limit"), items=limit_lines, next="main",
          empty=N_("No loan product is available for you yet.")),
    # applying
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
    # my loan, schedule
    Paged("loan_mine", N_("My loan"), items=my_loan_lines, next="main", empty=N_("You have no loan now.")),
    Paged("loan_schedule", N_("Schedule"), items=schedule_lines, next="main", empty=N_("You have no loan now.")),
    # repaying
    Branch("loan_repay", decide=start_repayment, next="loan_repay_amount"),
    Input("loan_repay_amount", repay_prompt, key="amount", parse=amount_with(check_repayment),
          next="loan_repay_source"),
    Input("loan_repay_source", N_("Pay from:\n1. My savings\n2. Mobile money"), key="source", parse=parse_source,
          next="loan_repay_pin"),
    Pin("loan_repay_pin", N_("Enter your PIN:"), action=pin_check, next="loan_repay_confirm"),
    Confirm("loan_repay_confirm", confirm_repayment, on_yes=repay,
            next={"paid": "loan_repay_paid", "sent": "loan_repay_sent"}),
    End("loan_repay_paid", lambda ctx: T(N_("Paid {amount}. Your loan balance is {balance}."),
                                         amount=ctx.data["amount"], balance=ctx.data["balance"])),
    End("loan_repay_sent", N_("Approve the payment on your phone with your mobile money PIN. We will SMS you.")),
    # guarantee requests
    Paged("loan_guarantees", N_("Guarantee requests"), items=request_items, select=choose_request,
          next="loan_guarantee", empty=N_("No guarantee requests.")),
    Menu("loan_guarantee", request_prompt, options=[
        Option(N_("Pledge"), "loan_guarantee_amount"),
        Option(N_("Decline"), "loan_guarantee_decline"),
    ]),
    Input("loan_guarantee_amount", pledge_prompt, key="pledge", parse=amount_with(check_pledge),
          next="loan_guarantee_pin"),
    Pin("loan_guarantee_pin", N_("Enter your PIN:"), action=pin_check, next="loan_guarantee_confirm"),
    Confirm("loan_guarantee_confirm", confirm_pledge, on_yes=pledge, next="loan_guarantee_done"),
    End("loan_guarantee_done", N_("Thank you. Your pledge is locked in your savings until the loan is repaid.")),
    Confirm("loan_guarantee_decline", N_("Decline this guarantee request?"), on_yes=decline_request,
            next="loan_guarantee_declined"),
    End("loan_guarantee_declined", N_("You declined the request. We will tell the borrower.")),
    # group loan approvals
    Paged("loan_approvals", N_("Loans to approve"), items=approval_items, select=choose_approval,
          next="loan_approval_confirm", empty=N_("No loans are waiting for you.")),
    Confirm("loan_approval_confirm", confirm_approval, on_yes=approve_as_official,
            next={"approved": "loan_approval_done", "recorded": "loan_approval_recorded"}),
    End("loan_approval_done", N_("Approved. The loan is being paid out.")),
    End("loan_approval_recorded", N_("Your approval is recorded. One more official must approve.")),
]
