"""The main menu and the common end screens."""

from app.i18n import N_
from menus.screens import End, Menu, Option

SCREENS = [
    Menu("main", N_("Pamoja"), home=True, options=[
        Option(N_("Savings"), "savings"),
        Option(N_("Loans"), "loans"),
        Option(N_("Payments"), "payments"),
        Option(N_("My groups"), "groups"),
        Option(N_("My account"), "account"),
        Option(N_("Exit"), "goodbye"),
    ]),
    End("goodbye", N_("Thank you for using Pamoja.")),
]

CANCELLED = End("cancelled", N_("Cancelled. Nothing was changed."))
"""Where every Confirm's "No" leads (menus/member/__init__.py adds it to the tree)."""
