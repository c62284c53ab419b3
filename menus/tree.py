"""A menu tree: named screens checked when the definition loads.

The checks are the ones a reviewer would do by hand: exactly one start, every
transition lands on a defined screen, every screen is reachable from the start
(or from the home screen, which `00` jumps to), and from every screen some End can
be reached. A tree that fails raises `TreeError` at import, not in a member's
session.
"""

from menus.screens import End


class TreeError(ValueError):
    """The tree definition is inconsistent."""


class MenuTree:
    def __init__(self, name, *, start, home, screens):
        self.name = name
        self.start = start
        self.home = home
        self.screens = {}
        for screen in screens:
            if screen.name in self.screens:
                raise TreeError(f"{name}: screen {screen.name!r} defined twice")
            self.screens[screen.name] = screen
        self.check()

    def __getitem__(self, name):
        return self.screens[name]

    def check(self):
        for required in (self.start, self.home):
            if required not in self.screens:
                raise TreeError(f"{self.name}: missing screen {required!r}")
        for screen in self.screens.values():
            missing = screen.targets() - self.screens.keys()
            if missing:
                raise TreeError(f"{self.name}: {screen.name!r} leads to undefined {sorted(missing)}")
        reachable = self.reachable_from({self.start, self.home})
        unreachable = self.screens.keys() - reachable
        if unreachable:
            raise TreeError(f"{self.name}: unreachable screens {sorted(unreachable)}")
        ends = {name for name, screen in self.screens.items() if isinstance(screen, End)}
        for name in self.screens:
            if not self.reachable_from({name}) & ends:
                raise TreeError(f"{self.name}: no End reachable from {name!r}")

    def reachable_from(self, names):
        seen, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(self.screens[name].targets())
        return seen
