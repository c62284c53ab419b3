"""What the ledger refuses. Programming errors are ValueError/TypeError subclasses;
the one a member can meet (InsufficientFunds) carries a translatable `message`."""

from app.i18n import N_, T


class LedgerError(Exception):
    """Base of every ledger refusal; `message` is a Text a channel may show."""

    message = T(N_("This transaction could not be completed."))


class InvalidEntry(LedgerError, ValueError):
    """An entry that can never be posted (a bug in the caller, not a member's mistake)."""


class UnbalancedEntry(InvalidEntry):
    """The postings do not sum to zero."""


class MixedCurrencies(InvalidEntry):
    """The postings are in more than one currency, or differ from an account's currency."""


class ZeroAmount(InvalidEntry):
    """A posting of zero moves nothing and is refused."""


class TooFewPostings(InvalidEntry):
    """An entry needs at least two postings."""


class UnknownAccountKind(InvalidEntry):
    """The account kind is not one of app.ledger.models.KINDS."""


class NotMoney(LedgerError, TypeError):
    """A posting amount is not Money (a float, a bare int, a Decimal...)."""


class InsufficientFunds(LedgerError, ValueError):
    """A posting would take a no-overdraft account below zero; `account` is that account."""

    message = T(N_("Not enough money in your account."))

    def __init__(self, account, available):
        super().__init__(f"account {account.id} ({account.kind}) would go below zero; available {available}")
        self.account = account
        self.available = available


class IdempotencyConflict(LedgerError):
    """An idempotency key already used for a different movement (other kind, accounts or amounts).

    A real replay (same key, same movement) returns the first entry; this is the other case,
    a key collision, refused so it can never pass for a success. `entry` is the first entry.
    """

    message = T(N_("This request was already used for another transaction. Nothing was moved. Please try again."))

    def __init__(self, entry):
        super().__init__(f"idempotency key {entry.idempotency_key!r} already posted entry {entry.id} ({entry.kind})")
        self.entry = entry
