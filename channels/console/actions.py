"""One staff action per POST: call one service method, commit, and say what happened (or why not).

    return act(lambda services, me: services.agent_disputes.uphold(me, dispute_id, reason()),
               lambda dispute: _("Dispute #{id} upheld.", id=dispute.id), url_for("console.disputes"))

The view's `@permission(...)` has already asked `services.staff.require` (as the CLI
does) and the service asks again with its own rules: reason, state, row lock, limits,
maker-checker. `act` commits once when the call returns; on a refusal of the domain it
rolls back (nothing half-done) and shows the refusal on a page of its own (409), in the
staff member's language where the refusal carries a translatable message and in the
services' plain English otherwise. A permission refusal goes on to the 403 page.
Anything else is a bug and is not hidden. On success the browser is sent back (303,
POST-redirect-GET) to `back`, where the notice shows once (`#done`).
"""

from flask import redirect, render_template, request, session

from app.agents.errors import AgentError, BackOfficeRefusal
from app.alerts.services import AlertClosed
from app.audit.services import AuditError, ReasonRequired
from app.i18n import render
from app.ledger.errors import LedgerError
from app.loans.errors import LoanError
from app.members.errors import MemberError
from app.members.kyc.errors import KycError
from app.one_time_codes import CodeError
from app.phones import InvalidPhone
from app.services import request_services
from app.staff.errors import ApprovalNotPending, PermissionDenied, SelfApproval, StaffError
from channels.console import bp
from channels.console.guard import actor
from channels.console.i18n import _, language

REFUSALS = (StaffError, AuditError, MemberError, CodeError, KycError, AgentError, BackOfficeRefusal, AlertClosed,
            LoanError, LedgerError, InvalidPhone)
"""What the services refuse with: the staff member's mistake or the item's state, never a bug."""


def refusal_text(error):
    """The refusal in words the staff member reads: translated where the domain gives a message."""
    if isinstance(error, ReasonRequired):
        return _("Give a reason: it is kept in the audit log.")
    if isinstance(error, SelfApproval):
        return _("This is your own request: another staff member must approve it.")
    if isinstance(error, ApprovalNotPending):
        return _("Someone else has already decided this request.")
    if isinstance(error, InvalidPhone):
        return _("That is not a phone number we can use.")
    message = getattr(error, "message", None)
    if message is not None and not isinstance(error, StaffError):
        return render(message, language())
    return str(error)


def reason():
    """The form's `reason` (the services refuse an empty one before changing anything)."""
    return request.form.get("reason", "")


def act(call, done, back):
    """Run `call(services, actor)` as one unit of work; see the module docstring."""
    services = request_services()
    try:
        result = call(services, actor())
        services.session.commit()
    except PermissionDenied:
        services.session.rollback()
        raise
    except REFUSALS as error:
        services.session.rollback()
        return render_template("console/error.html", title=_("Refused"), message=refusal_text(error),
                               back=back), 409
    session["done"] = done(result)
    return redirect(back, code=303)


@bp.app_context_processor
def done_notice():
    """The notice of the action just done, shown once on the page it sends the browser back to."""
    if request.blueprint != "console" or "done" not in session:
        return {}
    return {"done": session.pop("done")}
