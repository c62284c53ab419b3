"""What the loan screens share: the service, how refusals end a session, the loan on the books.

Every rule is the loan service's; the screens only ask, show and pass its
translated refusals on. A refusal ends the session (`refused`) because it comes
after the member has confirmed.
"""

from app.ledger.errors import InsufficientFunds
from app.loans import errors
from app.payments.errors import PaymentError
from menus.screens import Stop


def loans(ctx):
    return ctx.services.loans


def refused(call):
    """Run a service call; a loan or payment refusal ends the session with its reason."""
    try:
        return call()
    except (errors.LoanError, PaymentError, InsufficientFunds) as error:
        raise Stop(error.message) from None


def on_books(ctx):
    """The member's disbursed or defaulted loan, or None when nothing is owed."""
    return loans(ctx).on_books(ctx.member)
