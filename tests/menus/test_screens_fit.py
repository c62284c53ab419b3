"""Every static screen of every tree, in every language, as the USSD channel sends it.

Rendered by the engine's own renderer (menus/render.py) with the USSD profile (GSM-7,
septets, 160), on a stack one screen below home, every option visible. Each screen,
page by page: within 160 septets, GSM-7, with `0 Back 00 Menu` on every page of a
screen below home (a full screen pages, it never drops the line), and in Kiswahili no
line left in English. Pure: no app, no servers.
"""

from dataclasses import replace
from types import SimpleNamespace

import pytest

from app.i18n import LANGUAGE_NAMES, SUPPORTED, translate
from channels.textfit import is_gsm7
from channels.ussd import measure, to_gsm7
from menus.agent import AGENT_TREE
from menus.context import Context
from menus.engine import ChannelProfile
from menus.member import MEMBER_TREE
from menus.render import NAV_HINT, render_screen
from menus.screens import Branch, Menu, Paged
from menus.session import MenuSession

USSD_MAX_CHARS = 160
USSD = ChannelProfile(name="ussd", session_ttl=180, max_chars=USSD_MAX_CHARS, cumulative=True, measure=measure,
                      normalize=to_gsm7)
TREES = [MEMBER_TREE, AGENT_TREE]


def static(screen):
    """A screen whose text is known without data (a Paged list's lines are the member's: walked in its tests)."""
    return not isinstance(screen, (Branch, Paged)) and screen.prompt is not None and not callable(screen.prompt)


STATIC_SCREENS = [(tree, screen) for tree in TREES for screen in tree.screens.values() if static(screen)]


def all_visible(screen):
    if isinstance(screen, Menu):
        return replace(screen, options=[replace(option, visible=None) for option in screen.options])
    return screen


def pages(tree, screen, locale):
    """Every page of `screen` as sent, turning pages with 98 until the last."""
    stack = [tree.home] if screen.home else [tree.home, screen.name]
    state = MenuSession(channel="ussd", session_id="walk", phone="+254700000000", stack=stack, locale=locale)
    shown = []
    while True:
        ctx = Context(state, SimpleNamespace(), USSD)
        shown.append(render_screen(ctx, all_visible(screen), USSD).text)
        if not state.more_pages or len(shown) > 5:
            return shown
        state.page += 1


def english_lines(screen):
    """Lines of the screen's English text whose Kiswahili differs (they must not show in Kiswahili)."""
    texts = [screen.prompt] + [option.label for option in getattr(screen, "options", [])]
    return {line for text in texts if translate("sw", text) != text for line in text.split("\n")
            if len(line) > 3 and not any(name in line for name in LANGUAGE_NAMES.values())}


def test_every_tree_has_static_screens():
    names = {screen.name for _tree, screen in STATIC_SCREENS}
    assert {"main", "account", "reg_name", "pin_old", "agent_main"} <= names


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("tree, screen", STATIC_SCREENS, ids=lambda value: getattr(value, "name", None))
def test_static_screen_fits_and_keeps_its_navigation(tree, screen, locale):
    nav = to_gsm7(NAV_HINT.render(locale))
    for number, page in enumerate(pages(tree, screen, locale), start=1):
        where = f"{tree.name}/{screen.name} [{locale}] page {number}"
        assert is_gsm7(page), f"{where} is not GSM-7: {page!r}"
        assert measure(page) <= USSD_MAX_CHARS, f"{where} is {measure(page)} long:\n{page}"
        if not screen.home and not screen.__class__.__name__ == "End":
            assert page.endswith(nav), f"{where} lost its navigation line:\n{page}"
        if locale == "sw":
            left = english_lines(screen) & set(page.split("\n"))
            assert not left, f"{where} still in English: {sorted(left)}"
