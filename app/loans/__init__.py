"""Loans: products, schedules, eligibility, guarantors, disbursement, repayment, arrears."""
