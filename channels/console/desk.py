"""The desk's actions from Home: approvals waiting for me, work items, compliance alerts, PIN resets.

- Approve or reject another staff member's request (`approvals.check`): the console
  session signed in with password and TOTP, so its actor is the signed-in checker
  maker-checker asks for; the maker can never approve their own (services.approvals).
  Approving runs the action's handler in the same transaction (a loan paid out, a
  payment settled, a tier raised); a handler's refusal leaves the approval pending.
- Take or close a work item of one's roles (`work.view`; closing says what was done).
- Close a compliance alert with what was found (`alerts.work`; its work item closes too).
- Approve a member's forgotten-PIN request after calling them back (`pins.reset.approve`):
  the member gets a one-time code by SMS.
"""

from flask import request, url_for

from channels.console import bp, queries
from channels.console.actions import act, reason
from channels.console.guard import permission
from channels.console.i18n import _


def home():
    return url_for("console.home")


@bp.route("/approvals/<int:approval_id>/approve", methods=["POST"])
@permission("approvals.check")
def approve_request(approval_id):
    note = request.form.get("reason", "")
    return act(lambda services, me: services.approvals.approve(me, approval_id, note),
               lambda approval: _("Approval #{id} approved: {action} done.", id=approval.id, action=approval.action),
               home())


@bp.route("/approvals/<int:approval_id>/reject", methods=["POST"])
@permission("approvals.check")
def reject_request(approval_id):
    return act(lambda services, me: services.approvals.reject(me, approval_id, reason()),
               lambda approval: _("Approval #{id} rejected: nothing was done.", id=approval.id), home())


@bp.route("/work/<int:item_id>/take", methods=["POST"])
@permission("work.view")
def take_work(item_id):
    return act(lambda services, me: services.work_queue.assign(me, item_id),
               lambda item: _("Work item #{id} is yours.", id=item.id), home())


@bp.route("/work/<int:item_id>/close", methods=["POST"])
@permission("work.view")
def close_work(item_id):
    return act(lambda services, me: services.work_queue.close(me, item_id, reason()),
               lambda item: _("Work item #{id} is done.", id=item.id), home())


@bp.route("/alerts/<int:alert_id>/close", methods=["POST"])
@permission("alerts.work")
def close_alert(alert_id):
    return act(lambda services, me: services.alerts.close(me, alert_id, reason()),
               lambda alert: _("Alert #{id} closed.", id=alert.id), home())


@bp.route("/pin-resets/<int:request_id>/approve", methods=["POST"])
@permission("pins.reset.approve")
def approve_pin_reset(request_id):
    def approve(services, me):
        member = queries.pin_reset_member(services.session, request_id)
        return services.pin_resets.approve_by_staff(me, member.phone if member else "", reason())

    return act(approve, lambda done: _("PIN reset approved: the member has a code by SMS."), home())
