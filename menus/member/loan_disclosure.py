"""The loan disclosure in words: every channel's rendering of one app.loans.disclosure.Disclosure.

Three shapes of the same figures, none computed here:

- `disclosure_lines`: the screens' lines (USSD pages them, 160 characters each, with
  `98 More`; WhatsApp shows them whole): product and interest method, loan and fee,
  what is received and where, total, cost of credit, APR, then each instalment and its date.
- `statement_text`: the full statement, sent by SMS through the outbox before the
  member accepts, so they keep a copy (`send_statement`).
- `short_offer`: the SMS command's reply before its YES code, in as few segments as
  the figures allow; the full statement follows it.
"""

from app.i18n import N_, DatePattern, T, ngettext, render

METHODS = {"declining": N_("declining balance"), "flat": N_("flat")}
"""How the interest is charged: on the balance left, or on the whole principal for the whole term."""
WHERE = {"mobile_money": N_("mobile money"), "savings": N_("your savings")}
STATEMENT_KIND = "loan_disclosure"
"""The outbox kind of the full statement SMS."""


def short_date(day):
    return DatePattern(day, "dd/MM/yy")


def rate(value):
    """A percentage as members read it: 18, 24.2 (no trailing zeros, never an exponent)."""
    return format(value.normalize(), "f")


def payments_line(disclosure):
    if disclosure.frequency == "weekly":
        return ngettext("{count} weekly payment:", "{count} weekly payments:", disclosure.count,
                        count=disclosure.count)
    return ngettext("{count} monthly payment:", "{count} monthly payments:", disclosure.count,
                    count=disclosure.count)


def instalment_lines(disclosure):
    """One line per instalment, unnumbered so that no date reads as a menu choice."""
    return [T(N_("{date} {amount}"), date=short_date(row.due_date), amount=row.amount) for row in disclosure.schedule]


def method_line(disclosure):
    return T(N_("{product}: {method} interest, {rate}% a year"), product=disclosure.product_name,
             method=T(METHODS[disclosure.method]), rate=rate(disclosure.annual_rate))


def disclosure_lines(disclosure, destination):
    """The disclosure as screen lines (Texts), in the order a member reads a loan offer."""
    return [
        method_line(disclosure),
        T(N_("Loan {amount}, fee {fee}"), amount=disclosure.principal, fee=disclosure.fee),
        T(N_("You get {receive} to {where}"), receive=disclosure.receive, where=T(WHERE[destination])),
        T(N_("Total to repay {total}"), total=disclosure.total),
        T(N_("Cost of credit {cost} (interest {interest}, fees {fee})"), cost=disclosure.cost,
          interest=disclosure.interest, fee=disclosure.fee),
        T(N_("APR {apr}% a year, fees included"), apr=rate(disclosure.apr)),
        payments_line(disclosure),
        *instalment_lines(disclosure),
    ]


def statement_text(disclosure, destination, locale):
    """The full statement as one SMS text in `locale` (several segments: every instalment is in it)."""
    lines = [render(T(N_("Pamoja loan offer")), locale)] + [render(line, locale)
                                                            for line in disclosure_lines(disclosure, destination)]
    return "\n".join(lines)


def send_statement(services, member, disclosure, destination):
    """Send the member the full statement by SMS (urgent: it answers their own request)."""
    return services.outbox.send_sms(member.phone, statement_text(disclosure, destination, member.locale),
                                    kind=STATEMENT_KIND, member_id=member.id, urgent=True)


def short_offer(disclosure, destination):
    """The offer in one sentence or two: what reaches the member, where, how it is repaid and what it costs."""
    first = disclosure.schedule[0].due_date
    return T(N_("Loan {amount} ({product}, {method} interest): fee {fee}, you get {receive} to {where}. "
                "Repay {total} in {count} payments from {date}. Cost {cost}, APR {apr}%."),
             amount=disclosure.principal, product=disclosure.product_name, method=T(METHODS[disclosure.method]),
             fee=disclosure.fee, receive=disclosure.receive, where=T(WHERE[destination]), total=disclosure.total,
             count=disclosure.count, date=short_date(first), cost=disclosure.cost, apr=rate(disclosure.apr))
