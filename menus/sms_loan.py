"""`LOAN 5000 [term] [where]` by SMS: every check and the disclosure before the YES code, then the loan.

- The words after the amount are a term (a number of instalments, digits) and where the
  money goes, in English or Kiswahili (DESTINATION_WORDS: `savings`/`akiba`, `mpesa`,
  `mobile money`/`pesa kwa simu`, ...). No word: LOAN_DEFAULT_DESTINATION. A word that is
  neither is refused, saying which words work; it is never guessed.
- Before the code: the same checks as applying (LoanService.check_application), then the
  offer in short (menus/member/loan_disclosure.short_offer: what is received and where,
  total, cost, APR, flat or declining) with the code, and the full statement, every
  instalment and date, as a second SMS (it follows the reply: app/notifications/tasks.answer_sms).
- The code's payload keeps the words as understood (`loan 5000 4 savings`), so YES runs
  exactly what was disclosed.
"""

from app.i18n import N_, T
from menus.member.loan_disclosure import send_statement, short_offer
from menus.sms_money import CHANNEL, BadArgument, amount_of, ask_code, key

DESTINATION_WORDS = {
    "savings": "savings", "saving": "savings", "my savings": "savings", "akiba": "savings",
    "akiba yangu": "savings",
    "mobile money": "mobile_money", "mobile": "mobile_money", "momo": "mobile_money", "mpesa": "mobile_money",
    "m-pesa": "mobile_money", "simu": "mobile_money", "pesa kwa simu": "mobile_money",
    "pesa ya simu": "mobile_money",
}
"""What a member may write for where the loan goes (lower case, words joined by one space)."""
DESTINATIONS = ("savings", "mobile_money")

CODE_LOAN = N_("{offer} Reply YES {code} to accept. The code expires in {minutes} min.")
LOAN_APPLIED = N_("Your loan request of {amount} was received. We will send you an SMS.")
UNKNOWN_DESTINATION = N_("We did not understand \"{word}\". Say where the loan goes: LOAN 5000 savings or "
                         "LOAN 5000 mpesa.")


def loan_words(args):
    """(term or None, destination or None) from the words after the amount; raises BadArgument."""
    terms = [word for word in args if word.isdigit()]
    words = " ".join(word.casefold() for word in args if not word.isdigit())
    if len(terms) > 1:
        raise BadArgument(T(UNKNOWN_DESTINATION, word=terms[1]))
    if words and words not in DESTINATION_WORDS and words not in DESTINATIONS:
        raise BadArgument(T(UNKNOWN_DESTINATION, word=words))
    return (int(terms[0]) if terms else None), DESTINATION_WORDS.get(words, words or None)


def loan(services, member, args, ref, *, confirmed):
    loans = services.loans
    amount = amount_of(services, member, args[0])
    term, destination = loan_words(args[1:])
    destination = destination or loans.default_destination
    if not confirmed:
        product, term = loans.check_application(member, amount, term)
        disclosure = loans.quote(product, amount, term)
        offer = short_offer(disclosure, destination)
        reply = ask_code(services, member, "loan", (args[0], str(term), destination), CODE_LOAN, offer=offer)
        send_statement(services, member, disclosure, destination)
        return reply
    loans.apply(member, amount, term, key("loan", member, ref), channel=CHANNEL, session_ref=f"sms:{ref}",
                destination=destination)
    return T(LOAN_APPLIED, amount=amount)
