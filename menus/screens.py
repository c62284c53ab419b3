"""Screen types: the vocabulary menu trees are written in.

A screen has a name, a prompt and declared transitions. Prompts are msgids
(`N_("…")`) or functions of the context returning Text; actions are functions of
the context (and the input) returning an outcome name that picks one of the
declared transitions, so a tree's whole graph is known when it loads.

Actions signal the member with exceptions: `Invalid(text)` shows the same screen
again with a short error line; `Stop(text)` ends the session with that message.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_, T, Text

YES_WORDS = frozenset({"1", "yes", "y", "ndio", "ndiyo", "sawa", "ok"})
NO_WORDS = frozenset({"2", "no", "n", "hapana", "la"})


class Invalid(Exception):
    """The input is not acceptable here; re-prompt with `message`."""

    def __init__(self, message):
        super().__init__()
        self.message = message


class Stop(Exception):
    """End the session with `message` (a Text or msgid)."""

    def __init__(self, message):
        super().__init__()
        self.message = message


def outcome_target(next_, outcome):
    """The screen a transition leads to for `outcome` (None = the default)."""
    if isinstance(next_, str):
        return next_
    return next_[outcome or "ok"]


def targets_of(next_):
    if next_ is None:
        return set()
    return {next_} if isinstance(next_, str) else set(next_.values())


@dataclass
class Option:
    """A numbered choice of a Menu; `visible(ctx)` hides it for some members."""

    label: str
    target: str
    visible: Callable[[Any], bool] | None = None


@dataclass
class Screen:
    name: str
    prompt: Any = None
    home: bool = False
    """Arriving here resets the back-stack (main menus)."""
    sensitive: bool = False
    """Input here is secret (PINs): never logged, never stored."""

    def targets(self):
        return set()

    def prompt_text(self, ctx):
        prompt = self.prompt(ctx) if callable(self.prompt) else self.prompt
        return prompt if isinstance(prompt, (Text, list)) else T(prompt)


@dataclass
class Menu(Screen):
    """Numbered options; the input is the option's number (or its label on chat)."""

    options: list = field(default_factory=list)

    def targets(self):
        return {option.target for option in self.options}

    def visible_options(self, ctx):
        return [option for option in self.options if option.visible is None or option.visible(ctx)]

    def choose(self, ctx, raw):
        options = self.visible_options(ctx)
        if raw.isdigit() and raw.isascii() and 1 <= int(raw) <= len(options):
            return options[int(raw) - 1].target
        wanted = raw.casefold()
        for option in options:
            if ctx.translate(option.label).casefold() == wanted:
                return option.target
        raise Invalid(T(N_("Choose a number from the list.")))


@dataclass
class Input(Screen):
    """Free input parsed by `parse(ctx, raw)` and kept as `ctx.data[key]`; then `action`."""

    key: str | None = None
    parse: Callable | None = None
    action: Callable | None = None
    next: Any = None

    def targets(self):
        return targets_of(self.next)


@dataclass
class Pin(Screen):
    """A secret 4-digit input handed to `action(ctx, pin)`; never stored or logged.

    `escapes` maps a non-PIN input (`#`: Forgot PIN) to the screen it leads to, so a
    PIN screen can offer a way out that can never be mistaken for a guess.
    """

    action: Callable | None = None
    next: Any = None
    sensitive: bool = True
    escapes: dict = field(default_factory=dict)

    def targets(self):
        return targets_of(self.next) | set(self.escapes.values())


@dataclass
class Confirm(Screen):
    """Shows a summary; 1/yes runs `on_yes(ctx)`, 2/no goes to `cancel`."""

    on_yes: Callable | None = None
    next: Any = None
    cancel: str = "cancelled"

    def targets(self):
        return targets_of(self.next) | {self.cancel}

    @staticmethod
    def answer(raw):
        word = raw.strip().casefold()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        raise Invalid(T(N_("Reply 1 for Yes or 2 for No.")))


@dataclass
class Paged(Screen):
    """A list of lines shown a page at a time (98 for more); `select` makes lines choosable."""

    items: Callable | None = None
    select: Callable | None = None
    next: Any = None
    empty: str = N_("Nothing to show yet.")

    def targets(self):
        return targets_of(self.next)


@dataclass
class Branch(Screen):
    """No input: `decide(ctx)` returns an outcome and the engine moves on at once."""

    decide: Callable | None = None
    next: Any = None

    def targets(self):
        return targets_of(self.next)


@dataclass
class End(Screen):
    """The last screen: the session closes with this message."""

    def targets(self):
        return set()
