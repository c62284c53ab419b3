"""Rendering a screen as text within a channel's limits.

USSD screens must fit `max_chars` (160 by default, measured the way the channel
counts: GSM-7 septets); a Paged list shows as many lines as fit and offers `98`
for more. Chat channels have no such limit and show `page_size` lines a page.
Navigation hints, error lines and notices are added only where they fit: the
prompt and its options always show whole.
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
    head = error + [ctx.translate(screen.prompt_text(ctx))]
    if isinstance(screen, End):
        return Reply(fit(channel, "\n".join(notice + head)), True)
    body = []
    if isinstance(screen, Menu):
        body = [f"{number}. {ctx.translate(option.label)}"
                for number, option in enumerate(screen.visible_options(ctx), start=1)]
    elif isinstance(screen, Confirm):
        body = [ctx.translate(line) for line in YES_NO]
    elif isinstance(screen, Paged):
        return Reply(render_page(ctx, screen, channel, notice + head), False)
    # The prompt and its options must show whole; the error line, then a notice, only if they still fit.
    lines = head[-1:] + body
    for extra in (error, notice):
        if extra and fits(channel, extra + lines):
            lines = extra + lines
    return Reply(fit(channel, join_fitting(channel, lines, nav_hint(ctx, screen))), False)


def fits(channel, lines):
    """True when `lines`, joined and normalised, are within the channel's limit."""
    return channel.max_chars is None or \
        channel.measure("\n".join(channel.normalize(line) for line in lines)) <= channel.max_chars


def join_fitting(channel, lines, optional):
    """Join `lines`, then each optional line only if the result still fits."""
    text = "\n".join(channel.normalize(line) for line in lines)
    for extra in optional:
        candidate = f"{text}\n{channel.normalize(extra)}"
        if channel.max_chars is None or channel.measure(candidate) <= channel.max_chars:
            text = candidate
    return text


def fit(channel, text):
    """Normalise for the channel and cut what still does not fit (a last resort)."""
    text = channel.normalize(text)
    if channel.max_chars is None:
        return text
    while channel.measure(text) > channel.max_chars:
        text = text[: -max(1, (channel.measure(text) - channel.max_chars))].rstrip()
    return text


def page_bounds(ctx, screen, channel, head, labels):
    """Split `labels` into pages that fit; return the list of (start, end) index pairs."""
    numbered = screen.select is not None
    lines = [f"{i + 1}. {label}" if numbered else label for i, label in enumerate(labels)]
    more = ctx.translate(MORE_HINT)
    pages, start = [], 0
    while start < len(lines):
        end = start + 1
        while end < len(lines) and end - start < channel.page_size:
            has_more = end + 1 < len(lines)
            candidate = head + lines[start:end + 1] + ([more] if has_more else [])
            if channel.max_chars is not None and channel.measure(
                    "\n".join(channel.normalize(line) for line in candidate)) > channel.max_chars:
                break
            end += 1
        pages.append((start, end))
        start = end
    return pages, lines


def render_page(ctx, screen, channel, head):
    items = screen.items(ctx)
    if not items:
        return fit(channel, join_fitting(channel, head + [ctx.translate(screen.empty)], nav_hint(ctx, screen)))
    labels = [ctx.translate(item_label(item)) for item in items]
    pages, lines = page_bounds(ctx, screen, channel, head, labels)
    page = min(ctx.state.page, len(pages) - 1)
    ctx.state.page = page
    start, end = pages[page]
    body = lines[start:end] + ([ctx.translate(MORE_HINT)] if page + 1 < len(pages) else [])
    return fit(channel, join_fitting(channel, head + body, nav_hint(ctx, screen)))
