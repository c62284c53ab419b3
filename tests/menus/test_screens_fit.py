"""Every static screen of the member tree fits one USSD screen in every language.

Measured the way the USSD channel sends it: normalised to GSM-7 (`to_gsm7`) and
counted in septets (`channels.ussd.measure`), with the prompt, every option and
the navigation hints the engine may add. Pure: no app, no servers.
"""

import pytest

from app.i18n import SUPPORTED, translate
from channels.textfit import is_gsm7, to_gsm7
from channels.ussd import measure
from menus.member import MEMBER_TREE
from menus.render import MORE_HINT, NAV_HINT, YES_NO
from menus.screens import Branch, Confirm, Menu, Paged

USSD_MAX_CHARS = 160

STATIC_SCREENS = [screen for screen in MEMBER_TREE.screens.values()
                  if not isinstance(screen, Branch) and screen.prompt is not None and not callable(screen.prompt)]


def screen_lines(screen, locale):
    lines = [translate(locale, screen.prompt)]
    if isinstance(screen, Menu):
        lines += [f"{number}. {translate(locale, option.label)}"
                  for number, option in enumerate(screen.options, start=1)]
    elif isinstance(screen, Confirm):
        lines += [line.render(locale) for line in YES_NO]
    elif isinstance(screen, Paged):
        lines += [MORE_HINT.render(locale)]
    if not screen.home:
        lines.append(NAV_HINT.render(locale))
    return lines


def test_the_tree_has_static_screens():
    assert {"main", "account", "reg_name", "pin_old"} <= {screen.name for screen in STATIC_SCREENS}


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("screen", STATIC_SCREENS, ids=lambda screen: screen.name)
def test_static_screen_fits_ussd(screen, locale):
    text = to_gsm7("\n".join(screen_lines(screen, locale)))
    assert is_gsm7(text), f"{screen.name} [{locale}] is not GSM-7: {text!r}"
    assert measure(text) <= USSD_MAX_CHARS, f"{screen.name} [{locale}] is {measure(text)} long:\n{text}"
