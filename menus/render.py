"""Rendering a screen as text within a channel's limits.

USSD screens must fit `max_chars` (160 by default, measured the way the channel
counts: GSM-7 septets). The navigation line `0 Back 00 Menu` is never given up to
make room: a screen too full to keep it is shown a page at a time, `98 More` on
every page but the last (a Paged list repeats its title on each page; any other
screen is split line by line, its option numbers unchanged). Chat channels have
no length limit and show `page_size` lines of a list a page. A notice (what the
last action did) is kept, paging if need be, except on a home menu, which shows
whole on one screen. An error line is said on the screen when it fits (a long
preamble gives way to it), else it heads the first page of the screen paged (a full
menu shown again without a word looked like the input was never sent); only a screen
whose one long line leaves no room beside it is shown again without it.
"""

from app.i18n import N_, T, Text
from menus.screens import Confirm, End, Menu, Paged

NAV_HINT = T(N_("0 Back 00 Menu"))
MORE_HINT = T(N_("98 More"))
YES_NO = (T(N_("1. Yes")), T(N_("2. No")))


def item_label(item):
    """A list item is a label, or a (label, value) pair when the list is selectable."""
    return item[0] if isinstance(item, tuple) and not isinstance(item, Text) else item


def nav_hint(ctx, screen):
    """`0 Back 00 Menu`, where there is somewhere to go back to."""
    return [] if screen.home or len(ctx.state.stack) < 2 else [ctx.translate(NAV_HINT)]


def render_screen(ctx, screen, channel):
    """Return the Reply for `screen` in the session's locale, fitted to the channel."""
    from menus.engine import Reply

    notice = [ctx.translate(ctx.notice)] if ctx.notice is not None else []
    error = [ctx.translate(ctx.error)] if ctx.error is not None else []
    prompt = [ctx.translate(screen.prompt_text(ctx))]
    if isinstance(screen, End):
        ctx.state.more_pages = False
        return Reply(fit(channel, "\n".join(notice + error + prompt)), True)
    nav = nav_hint(ctx, screen)
    if isinstance(screen, Paged):
        return Reply(render_page(ctx, screen, channel, notice + error + prompt, nav), False)
    body = []
    if isinstance(screen, Menu):
        body = [f"{number}. {ctx.translate(option.label)}"
                for number, option in enumerate(screen.visible_options(ctx), start=1)]
    elif isinstance(screen, Confirm):
        body = [ctx.translate(line) for line in YES_NO]
    if screen.home and not fits(channel, notice + prompt + body):
        notice = []  # a home menu shows whole, on one screen: a welcome note gives way
    lines = notice + prompt + body
    if not fits(channel, lines + nav):
        # Too full for the navigation line: page the screen's own lines instead of dropping it, an error
        # line heading the first page (a long Kiswahili menu has no room for it beside every option)
        return Reply(render_pages(ctx, channel, [], split_lines(error + lines), nav, None), False)
    if error:
        question = split_lines(prompt)[-1:]  # what is asked: a long preamble gives way to the error
        for candidate in (notice + error + prompt + body, error + question + body):
            if fits(channel, candidate + nav):
                lines = candidate
                break
        else:
            said = split_lines(error + prompt + body)  # the error heads the first page instead of going unsaid,
            if fits(channel, said[:2] + [ctx.translate(MORE_HINT)] + nav):  # when that page shows more than it
                return Reply(render_pages(ctx, channel, [], said, nav, None), False)
    ctx.state.more_pages = False
    return Reply(fit(channel, "\n".join(channel.normalize(line) for line in lines + nav)), False)


def split_lines(lines):
    return [part for line in lines for part in line.split("\n")]


def fits(channel, lines):
    """True when `lines`, joined and normalised, are within the channel's limit."""
    return channel.max_chars is None or \
        channel.measure("\n".join(channel.normalize(line) for line in lines)) <= channel.max_chars


def fit(channel, text):
    """Normalise for the channel and cut what still does not fit (a last resort: pages come first)."""
    text = channel.normalize(text)
    if channel.max_chars is None:
        return text
    while channel.measure(text) > channel.max_chars:
        text = text[: -max(1, (channel.measure(text) - channel.max_chars))].rstrip()
    return text


def page_bounds(channel, head, lines, tail, more, page_size):
    """Split `lines` into pages of `head + lines[start:end] + [more] + tail` that fit.

    Every page but the last carries `more`; a page holds at least one line and at most
    `page_size` (None: no count limit). Returns the list of (start, end) index pairs.
    """
    pages, start = [], 0
    while start < len(lines):
        end = start + 1
        while end < len(lines) and (page_size is None or end - start < page_size):
            has_more = end + 1 < len(lines)
            if not fits(channel, head + lines[start:end + 1] + ([more] if has_more else []) + tail):
                break
            end += 1
        pages.append((start, end))
        start = end
    return pages


def render_pages(ctx, channel, head, lines, tail, page_size):
    """The session's current page of `lines` (clamped to the last), remembering whether more follow."""
    more = ctx.translate(MORE_HINT)
    pages = page_bounds(channel, head, lines, tail, more, page_size) or [(0, 0)]
    page = min(ctx.state.page, len(pages) - 1)
    ctx.state.page = page
    ctx.state.more_pages = page + 1 < len(pages)
    start, end = pages[page]
    body = lines[start:end] + ([more] if ctx.state.more_pages else [])
    return fit(channel, "\n".join(channel.normalize(line) for line in head + body + tail))


def render_page(ctx, screen, channel, head, nav):
    items = screen.items(ctx)
    if not items:
        return render_pages(ctx, channel, head, [ctx.translate(screen.empty)], nav, None)
    labels = [ctx.translate(item_label(item)) for item in items]
    lines = [f"{i + 1}. {label}" if screen.select is not None else label for i, label in enumerate(labels)]
    more = ctx.translate(MORE_HINT)
    while len(head) > 1 and not fits(channel, head + lines[:1] + [more] + nav):
        head = head[1:]  # a notice or error line gives way to the list and its navigation
    return render_pages(ctx, channel, head, lines, nav, channel.page_size)
