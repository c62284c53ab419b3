"""The member menu tree, assembled from one module per section.

Each section module exports SCREENS; a section whose service does not exist yet
is a "coming soon" End screen named after the main menu's target.
"""

from menus.member import account, groups, loans, main, onboarding, payments, savings
from menus.member.main import CANCELLED
from menus.tree import MenuTree

SECTIONS = [onboarding, main, account, savings, payments, groups, loans]

MEMBER_TREE = MenuTree(
    "member",
    start="entry",
    home="main",
    screens=[screen for section in SECTIONS for screen in section.SCREENS]
    + [CANCELLED],
)
