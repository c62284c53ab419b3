"""How a member's name is shown to someone else: first name and initial ("Jane W.").

A sender needs enough of the recipient's name to see they typed the right number,
and no more: the full registered name of any number would make Send money a
directory (issue 11, enumeration). Only the member themself sees their full name.
"""


def short_name(full_name):
    """`"Jane Wanjiru"` -> `"Jane W."`; the last name gives the initial; one name stays as it is."""
    parts = (full_name or "").split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0].upper()}."
