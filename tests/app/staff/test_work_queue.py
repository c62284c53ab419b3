"""The work queue: items for a role, its staff told by SMS once, closed by someone with the role."""

from datetime import timedelta

import pytest

from app.notifications.messages import OutboundMessage
from app.staff import errors
from tests.app.staff.staff_helpers import new_staff, typed


def test_opening_an_item_tells_the_roles_staff_once_and_dedupes(services, session):
    phoned = new_staff(services, "finance", phone="+254711000001")
    new_staff(services, "finance")  # no phone: the console queue only
    new_staff(services, "compliance", phone="+254711000002")
    due = services.clock.now() + timedelta(hours=4)
    item = services.work_queue.open("payment_review", ("payment", 7), "finance", summary="KES 2,000 in review",
                                    due_at=due, dedupe_key="payment_review:7")
    again = services.work_queue.open("payment_review", ("payment", 7), "finance", summary="KES 2,000 in review",
                                     dedupe_key="payment_review:7")
    assert again.id == item.id and item.status == "open" and item.subject == "payment:7"
    sms = session.query(OutboundMessage).filter_by(kind="staff_work_item").all()
    assert [message.recipient for message in sms] == [phoned.phone]
    assert f"#{item.id}" in sms[0].text and "KES 2,000 in review" in sms[0].text
    assert services.work_queue.list("finance")[0].id == item.id
    assert services.work_queue.list("compliance") == []
    assert item in services.work_queue.overdue(due + timedelta(minutes=1))
    with pytest.raises(errors.WorkItemError, match="unknown role"):
        services.work_queue.open("x", ("payment", 7), "boss", summary="x")


def test_only_the_items_role_or_the_branch_manager_closes_it_once(services):
    item = services.work_queue.open("float_low", ("operator", "mpesa"), "finance", summary="B2C float low")
    with pytest.raises(errors.PermissionDenied, match="belongs to finance"):
        services.work_queue.close(typed(services, new_staff(services, "support")), item.id, "topped up")
    with pytest.raises(errors.PermissionDenied):
        services.work_queue.close(typed(services, new_staff(services, "trainer")), item.id, "topped up")
    finance = typed(services, new_staff(services, "finance"))
    with pytest.raises(errors.WorkItemError, match="say what"):
        services.work_queue.close(finance, item.id, "")
    services.work_queue.assign(finance, item.id)
    assert item.assignee_staff_id == finance.id
    manager = typed(services, new_staff(services, "branch_manager"))
    assert services.work_queue.close(manager, item.id, "float topped up").status == "done"
    with pytest.raises(errors.WorkItemError, match="already done"):
        services.work_queue.close(finance, item.id, "again")
    with pytest.raises(errors.WorkItemError, match="no work item"):
        services.work_queue.close(finance, 10**12, "x")
