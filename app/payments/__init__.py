"""Payments: mobile-money collections and disbursements, with exactly-once callbacks."""
