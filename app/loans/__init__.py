"""Loans: products, schedules, eligibility, guarantors, disbursement, repayment, arrears.

Importing the package registers its payment purposes (loan_repayment,
loan_disbursement) with the payments settlement registry.
"""

from app.loans import settlement  # noqa: F401  (registers the payment handlers)
