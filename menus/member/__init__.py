"""The member menu tree, assembled from one module per section.

Each section module exports SCREENS, one screen named after each of the main
menu's targets; CANCELLED is where every Confirm's "No" leads.
"""

from menus.member import account, groups, loans, main, momo_number, onboarding, payments, savings
from menus.member.main import CANCELLED
from menus.tree import MenuTree

SECTIONS = [onboarding, main, account, momo_number, savings, payments, groups, loans]

MEMBER_TREE = MenuTree(
    "member",
    start="entry",
    home="main",
    screens=[screen for section in SECTIONS for screen in section.SCREENS]
    + [CANCELLED],
)
