"""The roles table: who may do what, the loan limits and the approval thresholds (pure)."""

import pytest

from app.money import Money
from app.settings import approval_thresholds, loan_officer_limits
from app.staff.permissions import (
    BRANCH_MANAGER,
    PERMISSIONS,
    ROLES,
    UnknownRole,
    check_roles,
    permissions_of,
    roles_granting,
)


def test_branch_manager_holds_every_desk_role_and_the_second_approval():
    for desk in ("support", "loan_officer", "finance", "compliance"):
        assert ROLES[desk] <= BRANCH_MANAGER
    assert {"approvals.check", "agents.manage"} <= BRANCH_MANAGER


def test_auditor_reads_everything_and_changes_nothing():
    assert ROLES["auditor"] == {name for name in PERMISSIONS if name.endswith(".view")}
    assert "audit.view" in ROLES["auditor"]


def test_admin_manages_staff_and_settings_but_moves_no_money():
    assert {"staff.manage", "settings.manage"} <= ROLES["admin"]
    assert not ROLES["admin"] & {"payments.reverse", "payments.review", "loans.decide", "approvals.check"}


def test_trainer_only_uses_the_simulator():
    assert ROLES["trainer"] == {"simulator.use"}


def test_roles_are_checked_and_combined():
    assert check_roles(["finance", "support", "finance"]) == ("finance", "support")
    with pytest.raises(UnknownRole, match="unknown role"):
        check_roles(["boss"])
    assert permissions_of(["support", "trainer"]) == ROLES["support"] | {"simulator.use"}
    assert roles_granting("approvals.check") == ("branch_manager",)


def test_loan_limits_per_role_and_currency():
    limits = loan_officer_limits("loan_officer=KES:50000,branch_manager=KES:500000,loan_officer=UGX:1000000")
    assert limits.for_roles(["loan_officer"], "KES") == Money.from_major(50000, "KES")
    assert limits.for_roles(["loan_officer", "branch_manager"], "KES") == Money.from_major(500000, "KES")
    assert limits.for_roles(["branch_manager"], "UGX") is None
    with pytest.raises(ValueError):
        loan_officer_limits("boss=KES:1")


def test_thresholds_say_which_requests_wait_for_a_checker():
    thresholds = approval_thresholds("payments.reverse=KES:10000,loans.write_off=KES:0,kyc.tier3=0")
    assert not thresholds.needs_approval("payments.reverse", Money.from_major(10000, "KES"))
    assert thresholds.needs_approval("payments.reverse", Money.from_major("10000.01", "KES"))
    assert thresholds.needs_approval("payments.reverse", Money.from_major(5, "UGX"))  # no limit in that currency
    assert thresholds.needs_approval("payments.reverse", None)
    assert thresholds.needs_approval("loans.write_off", Money.from_major(1, "KES"))
    assert thresholds.needs_approval("kyc.tier3")
    assert not thresholds.needs_approval("members.block")
    with pytest.raises(ValueError):
        approval_thresholds("kyc.tier3=always")
