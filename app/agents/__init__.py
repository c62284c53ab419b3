"""Field agents: vetted people who bank for members with cash, from a basic phone.

Collaborators, each with its dependencies in its constructor and wired in
app/services.py (the composition root); callers commit:
- roster.py       AgentRoster: agents, their PINs, the members they serve
- floats.py       AgentFloat: the float's balance and mobile-money top-ups
- cash.py         AgentCash: one flow for cash deposits, loan repayments and group
                  contributions (collections.py adapts the loans and groups rules)
- reports.py      AgentReports: the day's transactions and totals, the evening SMS
- disputes.py     AgentDisputes: a member disputes a receipt
"""
