"""Savings: each member's savings account, deposits and withdrawals by mobile money, transfers."""
