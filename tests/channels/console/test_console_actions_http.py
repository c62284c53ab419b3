"""The console's action forms through the test client: refusals shown (never a 500), permissions, no partial write."""

from app.audit.models import AuditEvent
from tests.channels.console.test_console_http import sign_in, staffed, token  # noqa: F401 (fixture)
from tests.sms_helpers import register


def test_a_missing_reason_is_refused_on_its_own_page_and_changes_nothing(client, staffed, session):  # noqa: F811
    member = register(staffed)
    sign_in(client, "demo.support")
    csrf = token(client, f"/console/members/{member.id}")
    answer = client.post(f"/console/members/{member.id}/block", data={"csrf_token": csrf, "reason": "  "})
    assert answer.status_code == 409 and "Give a reason" in answer.get_data(as_text=True)
    session.expire_all()
    assert member.blocked_at is None
    assert not session.query(AuditEvent).filter_by(action="members.block").count()


def test_block_then_unblock_from_member_360_says_what_was_done(client, staffed, session):  # noqa: F811
    member = register(staffed)
    sign_in(client, "demo.support")
    csrf = token(client, f"/console/members/{member.id}")
    answer = client.post(f"/console/members/{member.id}/block", data={"csrf_token": csrf, "reason": "lost phone"})
    assert answer.status_code == 303
    page = client.get(answer.location).get_data(as_text=True)
    assert "is blocked" in page and 'id="unblock-member"' in page
    again = client.post(f"/console/members/{member.id}/block", data={"csrf_token": csrf, "reason": "twice"})
    assert again.status_code == 409 and "already blocked" in again.get_data(as_text=True)
    assert client.post(f"/console/members/{member.id}/unblock",
                       data={"csrf_token": csrf, "reason": "found it"}).status_code == 303


def test_roles_without_the_permission_get_403_and_unknown_items_a_refusal(client, staffed):  # noqa: F811
    sign_in(client, "demo.loan_officer")
    csrf = token(client, "/console/")
    assert client.post("/console/payments/1/resolve", data={"csrf_token": csrf, "outcome": "failed",
                                                           "reason": "x"}).status_code == 403
    assert client.post("/console/members/1/block", data={"csrf_token": csrf, "reason": "x"}).status_code == 403
    unknown = client.post("/console/loans/999999/decline", data={"csrf_token": csrf, "reason": "no such loan"})
    assert unknown.status_code == 409 and "no loan" in unknown.get_data(as_text=True)


def test_a_tier_change_refused_by_the_rules_is_shown(client, staffed):  # noqa: F811
    member = register(staffed)
    sign_in(client, "demo.support")
    csrf = token(client, f"/console/members/{member.id}")
    answer = client.post(f"/console/members/{member.id}/kyc", data={"csrf_token": csrf, "tier": "9",
                                                                    "reason": "ID sighted"})
    assert answer.status_code == 409 and "tier must be one of" in answer.get_data(as_text=True)


def test_work_items_are_taken_and_closed_from_home(client, staffed, session):  # noqa: F811
    item = staffed.work_queue.open("callback", ("member", 1), "support", summary="call the member back")
    session.flush()
    sign_in(client, "demo.support")
    page = client.get("/console/").get_data(as_text=True)
    assert f'id="take-work-{item.id}"' in page
    csrf = token(client, "/console/")
    assert client.post(f"/console/work/{item.id}/take", data={"csrf_token": csrf}).status_code == 303
    assert client.post(f"/console/work/{item.id}/close", data={"csrf_token": csrf, "reason": "called"}).status_code \
        == 303
    assert client.post(f"/console/work/{item.id}/close", data={"csrf_token": csrf, "reason": "again"}).status_code \
        == 409
