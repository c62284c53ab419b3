"""Eligibility: every refusal, with its reason in words; the limit and the top reason it is not higher."""

from datetime import timedelta

import pytest

from app.i18n import render
from app.loans import errors
from tests.app.loans.loan_helpers import deposit, new_member, new_saver, product, regular_saver
from tests.money_helpers import kes


def refusal(call):
    with pytest.raises(errors.NotEligible) as refused:
        call()
    return refused.value.code, render(refused.value.message, "en"), render(refused.value.message, "sw")


def test_limit_is_the_smallest_bound_with_its_reason(services):
    member = new_member(services)
    biz = product(services)
    deposit(services, member, 200000)  # KES 2,000 saved this month only
    credit = services.loans.limit(member, biz)
    # score: months 5 + regularity 5 + group 0 + repayment 15 (no history) = 25 -> cap KES 25,000;
    # savings x 3 = KES 6,000 is smaller, so savings decide
    assert credit.score == 25
    assert credit.limit == kes(6000)
    assert render(credit.reason, "en") == "Your limit is 3 times your savings. Save more to raise it."
    deposit(services, member, 10000000)  # now savings are plenty: the score decides
    credit = services.loans.limit(member, biz)
    assert credit.limit == kes(25000)
    assert render(credit.reason, "en") == "Save regularly for 5 more months to raise your limit."


def test_regular_saver_reaches_the_product_maximum(services):
    member = new_member(services)
    biz = product(services)
    regular_saver(services, member, 1000000)
    credit = services.loans.limit(member, biz)
    assert credit.score == 75 and credit.limit == kes(75000)  # 75 % of the KES 100,000 score cap
    assert render(credit.reason, "en") == "Repay your loans on time to raise your limit."
    biz.max_amount_minor = 5000000
    credit = services.loans.limit(member, biz)
    assert credit.limit == kes(50000)
    assert render(credit.reason, "en") == "This is the most this product lends."


def test_every_refusal_says_why(services):
    biz = product(services, min_membership_days=30, guarantor_rule="none")
    newcomer = new_member(services, days=10)
    regular_saver(services, newcomer, 1000000)
    assert refusal(lambda: services.loans.apply_for(newcomer, biz, kes(5000), 3, idempotency_key="n"))[:2] == (
        "too_new", "You can borrow after 20 more days as a member.")

    member = new_saver(services)
    apply = services.loans.apply_for
    assert refusal(lambda: apply(member, biz, kes(500), 3, idempotency_key="a"))[:2] == (
        "below_min", "The smallest loan is KES 1,000.")
    assert refusal(lambda: apply(member, biz, kes(200000), 3, idempotency_key="a"))[0] == "above_max"
    assert refusal(lambda: apply(member, biz, kes(5000), 5, idempotency_key="a"))[0] == "bad_term"
    assert refusal(lambda: apply(member, biz, kes(80000), 3, idempotency_key="a"))[:2] == (
        "above_limit", "Your limit is KES 75,000. Enter a smaller amount.")
    member.kyc_level = 1
    code, english, swahili = refusal(lambda: apply(member, biz, kes(6000), 3, idempotency_key="a"))
    assert code == "kyc" and "KES 5,000" in english and "KES 5,000" in swahili and english != swahili
    member.kyc_level = 3
    member.pin_locked_until = services.clock.now() + timedelta(minutes=20)
    assert refusal(lambda: apply(member, biz, kes(5000), 3, idempotency_key="a"))[0] == "locked"
    member.pin_locked_until = None

    loan = apply(member, biz, kes(5000), 3, idempotency_key="first", destination="savings")
    assert loan.state == "disbursed"
    assert refusal(lambda: apply(member, biz, kes(5000), 3, idempotency_key="second"))[0] == "open_loan"
    services.clock.advance(days=40)
    assert refusal(lambda: apply(member, biz, kes(5000), 3, idempotency_key="third"))[:2] == (
        "arrears", "You have an overdue loan. Repay it before borrowing again.")


def test_above_limit_without_guarantors_is_refused_with_the_limit(services):
    member = new_member(services)
    biz = product(services)
    deposit(services, member, 100000)
    code, english, _ = refusal(lambda: services.loans.apply_for(member, biz, kes(5000), 3, idempotency_key="g"))
    assert code == "above_limit" and english == "Your limit is KES 3,000. Enter a smaller amount."


def test_defaulted_borrower_cannot_borrow(services, session):
    member = new_saver(services)
    biz = product(services)
    loan = services.loans.apply_for(member, biz, kes(5000), 3, idempotency_key="d", destination="savings")
    loan.state = "defaulted"
    session.flush()
    assert refusal(lambda: services.loans.check_member(member))[0] == "defaulted"
    assert services.loans.limit(member, biz).limit == kes(0)


@pytest.mark.parametrize("multiplier, limit, english, swahili", [
    ("2", 4000, "Your limit is 2 times your savings.", "Kikomo chako ni mara 2 ya akiba yako."),
    ("2.5", 5000, "Your limit is 2.5 times your savings.", "Kikomo chako ni mara 2.5 ya akiba yako."),
])
def test_the_limit_note_states_each_products_own_multiple_in_both_languages(services, multiplier, limit, english,
                                                                             swahili):
    """Issue 16 #9: the rule said is the product's own (a 2x product said 3x), the same number in Kiswahili."""
    member = new_member(services)
    deposit(services, member, 200000)  # KES 2,000: savings decide the limit of both products
    three = product(services, code="THREE")
    other = product(services, code="OTHER", savings_multiplier=multiplier)
    assert render(services.loans.limit(member, three).reason, "en").startswith("Your limit is 3 times")
    credit = services.loans.limit(member, other)
    assert credit.limit == kes(limit)  # the note's rule is the one that set the limit
    assert render(credit.reason, "en").startswith(english) and render(credit.reason, "sw").startswith(swahili)


def test_the_limit_shown_is_never_above_the_kyc_ceiling(services):
    """A tier-1 member with KES 2,000 saved saw 'Your limit: KES 6,000', then 6,000 was refused by KYC."""
    member = new_member(services)
    member.kyc_level = 1
    biz = product(services)
    deposit(services, member, 200000)
    credit = services.loans.limit(member, biz)
    assert credit.limit == kes(5000)
    assert render(credit.reason, "en") == "Your ID details allow loans up to KES 5,000. Visit an agent to raise it."
    assert services.loans.check_amount(member, biz, kes(5000)) == kes(0)
    member.kyc_level = 3
    assert services.loans.limit(member, biz).limit == kes(6000)
