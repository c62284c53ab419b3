"""A form posted after the session ended is not lost: its non-secret fields wait for the page it came from.

When a staff member's session has ended (idle timeout, or the browser already dropped
the expired cookie) and they post a form, guard.py sends them to sign-in with `next`
= the console page the form was on (the same-site Referer) and `keep()` stashes the
fields named in KEPT_FIELDS in the Flask session under that page's path. Signing in
carries the stash over (auth.py), and the first GET of that page, signed in, takes it
out once (`restore`): the form's template fills its fields with `kept(name)`.

Only the named free-text fields are kept (an allowlist: never the CSRF token, a
password, a TOTP code or a PIN typed into the simulator), each up to KEPT_CHARS, for
KEPT_SECONDS. The session is a signed cookie the same browser holds, so nothing leaves
the browser that typed it. Nothing is replayed: the staff member posts the form again.
"""

import time
from urllib.parse import urlsplit

from flask import g, request, session

KEPT_FIELDS = ("reason", "note")
"""Form fields worth keeping across a sign-in: typed text that is never a secret."""
KEPT_CHARS = 1000
"""A longer value is not kept (the session cookie must stay small)."""
KEPT_SECONDS = 15 * 60
"""A stash not picked up within this time is dropped."""
SESSION_KEY = "kept_form"


def form_page():
    """The console page (path and query) the posted form was on, from the same-site Referer; else None."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/console/") \
            or referrer.path.startswith("/console/sign-in"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def keep(page):
    """Stash the posted KEPT_FIELDS for `page` (a console path), when there is anything to keep."""
    fields = {name: value for name in KEPT_FIELDS
              if (value := request.form.get(name, "").strip()) and len(value) <= KEPT_CHARS}
    if page and fields:
        session[SESSION_KEY] = {"path": urlsplit(page).path, "fields": fields, "at": time.time()}


def restore():
    """On a GET of the stashed page: move the stash to this request (`kept`), once; drop a stale stash."""
    stash = session.get(SESSION_KEY)
    if not stash:
        return
    if time.time() - stash.get("at", 0) > KEPT_SECONDS:
        session.pop(SESSION_KEY)
    elif request.method == "GET" and request.path == stash.get("path"):
        session.pop(SESSION_KEY)
        g.kept_form = stash.get("fields") or {}


def kept(name, default=""):
    """The value kept for form field `name` on this page (templates: `value="{{ kept('reason') }}"`)."""
    return g.get("kept_form", {}).get(name, default)
