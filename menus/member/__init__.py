"""The member menu tree, assembled from one module per section.

Each section module exports SCREENS; a section whose service does not exist yet
is a "coming soon" End screen named after the main menu's target.
"""

from menus.member import account, main, onboarding
from menus.member.main import coming_soon
from menus.tree import MenuTree

SECTIONS = [onboarding, main, account]

MEMBER_TREE = MenuTree(
    "member",
    start="entry",
    home="main",
    screens=[screen for section in SECTIONS for screen in section.SCREENS]
    + coming_soon("savings", "loans", "payments", "groups"),
)
