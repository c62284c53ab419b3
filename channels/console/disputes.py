"""Agent disputes: the unresolved ones, oldest first, and the back office's three answers.

open -> investigating (`disputes.intake`: someone took the case), then upheld (the
compensating entry is posted) or rejected (`disputes.resolve`), each with a reason, each
one POST to app/agents/disputes.py; both parties are told by the service, in their language.
"""

from flask import render_template, url_for

from app.i18n import N_
from app.services import request_services
from channels.console import bp
from channels.console.actions import act, reason
from channels.console.guard import actor, permission
from channels.console.i18n import _


@bp.route("/disputes")
@permission("disputes.view")
def disputes():
    services = request_services()
    return render_template("console/disputes.html", disputes=services.agent_disputes.list(actor()),
                           now=services.clock.now())


def answer(step, done_msgid):
    return act(lambda services, me: step(services.agent_disputes, me),
               lambda dispute: _(done_msgid, id=dispute.id), url_for("console.disputes"))


@bp.route("/disputes/<int:dispute_id>/investigate", methods=["POST"])
@permission("disputes.intake")
def investigate_dispute(dispute_id):
    return answer(lambda desk, me: desk.investigate(me, dispute_id, reason()),
                  N_("Dispute #{id} is being investigated."))


@bp.route("/disputes/<int:dispute_id>/uphold", methods=["POST"])
@permission("disputes.resolve")
def uphold_dispute(dispute_id):
    return answer(lambda desk, me: desk.uphold(me, dispute_id, reason()),
                  N_("Dispute #{id} upheld: the money is put back."))


@bp.route("/disputes/<int:dispute_id>/reject", methods=["POST"])
@permission("disputes.resolve")
def reject_dispute(dispute_id):
    return answer(lambda desk, me: desk.reject(me, dispute_id, reason()), N_("Dispute #{id} rejected."))
