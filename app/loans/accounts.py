"""The ledger accounts a loan moves money between, named once for every loan collaborator."""


class LoanAccounts:
    """The ledger accounts of a loan and of its borrower (created on first use by the ledger)."""

    def __init__(self, ledger):
        self.ledger = ledger

    def principal(self, loan):
        return self.ledger.account("loan", loan.id, "loan_principal_receivable", loan.currency)

    def penalty(self, loan):
        return self.ledger.account("loan", loan.id, "penalty_receivable", loan.currency)

    def savings(self, member_id, currency):
        return self.ledger.account("member", member_id, "member_savings", currency)

    def pledged(self, member_id, currency):
        return self.ledger.account("member", member_id, "guarantee_pledged", currency)

    def income(self, kind, currency):
        return self.ledger.system_account(kind, currency)
