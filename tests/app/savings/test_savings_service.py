"""SavingsService: limits, fees, insufficient funds, transfers, statements, UGX without minor units."""

import pytest

from app.money import Money, parse_amount
from app.payments.models import Payment
from app.savings import errors
from app.savings.services import label
from tests.fakes import FakeProvider
from tests.member_helpers import make_member
from tests.messaging_helpers import messages_to
from tests.money_helpers import fund_savings, kes

KE_PHONE, KE_OTHER, UG_PHONE = "+254712000222", "+254712000333", "+256772123456"


def register(services, phone, name="Amina Otieno"):
    return make_member(services.session, phone, name)


@pytest.fixture
def amina(services):
    return register(services, KE_PHONE)


@pytest.fixture
def baraka(services):
    return register(services, KE_OTHER, "Baraka Mwangi")


def test_fee_table(services):
    assert services.savings.withdrawal_fee(kes(100)) == kes(0)
    assert services.savings.withdrawal_fee(kes(101)) == kes(15)
    assert services.savings.withdrawal_fee(kes(70_000)) == kes(100)
    assert services.savings.withdrawal_fee(Money.from_major(5_000, "UGX")) == Money(0, "UGX")


def test_limits_stop_small_large_and_daily(services, amina):
    savings = services.savings
    fund_savings(services, amina, 200_000_00)
    with pytest.raises(errors.BelowMinimum) as small:
        savings.withdraw(amina, kes(9), "wd:a", channel="ussd")
    assert small.value.message.render("en") == "The smallest amount is KES 10."
    with pytest.raises(errors.AboveTransactionLimit):
        savings.withdraw(amina, kes(70_001), "wd:b", channel="ussd")
    savings.withdraw(amina, kes(70_000), "wd:c", channel="ussd")
    savings.withdraw(amina, kes(70_000), "wd:d", channel="ussd")
    with pytest.raises(errors.DailyLimitReached) as daily:
        savings.withdraw(amina, kes(20_000), "wd:e", channel="ussd")
    assert "KES 9,800" in daily.value.message.render("en")


def test_withdraw_needs_amount_plus_fee(services, amina):
    fund_savings(services, amina, 1_000_00)
    with pytest.raises(errors.InsufficientBalance) as refused:
        services.savings.withdraw(amina, kes(1_000), "wd:1", channel="ussd")
    assert refused.value.message.render("en") == "Not enough savings. You need KES 1,015, you have KES 1,000."
    payment = services.savings.withdraw(amina, kes(985), "wd:2", channel="ussd", session_ref="ATUid_9")
    assert payment.fee == kes(15) and services.savings.balance(amina) == kes(0)
    assert services.savings.withdraw(amina, kes(985), "wd:2", channel="ussd").id == payment.id


def test_deposit_starts_a_collection_and_posts_nothing_yet(services, amina):
    payment = services.savings.deposit(amina, kes(500), "deposit:x:1", channel="ussd")
    assert (payment.direction, payment.purpose, payment.provider, payment.state) == (
        "collection", "deposit", "sandbox", "initiated")
    assert services.savings.balance(amina) == kes(0)
    with pytest.raises(errors.AboveTransactionLimit):
        services.savings.deposit(amina, kes(100_000), "deposit:x:2", channel="ussd")


def test_transfer_is_one_entry_with_fee(services, amina, baraka):
    fund_savings(services, amina, 2_000_00)
    assert services.savings.recipient(amina, "0712 000 333").id == baraka.id
    entry = services.savings.transfer(amina, "0712000333", kes(1_000), "tr:1", channel="ussd")
    assert len(entry.postings) == 3
    assert services.savings.balance(amina) == kes(990)
    assert services.savings.balance(baraka) == kes(1_000)
    assert services.savings.transfer(amina, "0712000333", kes(1_000), "tr:1", channel="ussd").id == entry.id
    rows = services.savings.statement(amina)
    assert rows[0].amount == kes(-1_010) and rows[0].kind.render("en") == "Sent to Baraka M."
    history = services.savings.history(baraka)
    assert history[0].amount == kes(1_000) and history[0].state == "succeeded"


def test_statement_and_history_say_the_direction_and_the_other_member(services, amina, baraka):
    fund_savings(services, amina, 2_000_00)
    services.savings.transfer(amina, KE_OTHER, kes(100), "tr:dir", channel="ussd")
    [received] = [row for row in services.savings.statement(baraka) if row.amount == kes(100)]
    assert received.kind.render("en") == "Received from Amina O."
    assert received.kind.render("sw") == "Umepokea kutoka kwa Amina O."
    assert services.savings.statement(amina)[0].kind.render("sw") == "Umetuma kwa Baraka M."
    assert services.savings.history(baraka)[0].kind.render("en") == "Received from Amina O."
    assert services.savings.history(amina)[0].kind.render("en") == "Sent to Baraka M."


def test_a_transfer_tells_both_members_each_in_their_language(services, amina, baraka):
    baraka.locale = "sw"
    fund_savings(services, amina, 2_000_00)
    entry = services.savings.transfer(amina, KE_OTHER, kes(1_000), "tr:tell", channel="sms")
    services.savings.transfer(amina, KE_OTHER, kes(1_000), "tr:tell", channel="sms")  # a replay tells no one again
    [sent] = messages_to(services.session, KE_PHONE, kind="transfer_sent")
    [received] = messages_to(services.session, KE_OTHER, kind="transfer_received")
    assert sent.text == (f"Pamoja PJ{entry.id}: you sent KES 1,000 to Baraka M., fee KES 10. "
                         "Savings balance: KES 990.")
    assert received.text == f"Pamoja PJ{entry.id}: Amina O. amekutumia KES 1,000. Salio la akiba: KES 1,000."
    assert len(sent.text) <= 160 and len(received.text) <= 160


def test_a_transfer_key_reused_for_another_transfer_is_refused_not_a_success(services, amina, baraka):
    fund_savings(services, amina, 2_000_00)
    first = services.savings.transfer(amina, KE_OTHER, kes(200), "tr:reused", channel="whatsapp")
    with pytest.raises(errors.ConflictingRequest) as refused:
        services.savings.transfer(amina, KE_OTHER, kes(300), "tr:reused", channel="whatsapp")
    assert refused.value.message.render("en").startswith("This request was already used for another transaction")
    carol = register(services, "+254712000444", "Carol Njeri")
    with pytest.raises(errors.ConflictingRequest):
        services.savings.transfer(amina, carol.phone, kes(200), "tr:reused", channel="whatsapp")
    assert services.savings.transfer(amina, KE_OTHER, kes(200), "tr:reused", channel="whatsapp").id == first.id
    assert (services.savings.balance(amina), services.savings.balance(baraka)) == (kes(1_800), kes(200))
    assert services.savings.balance(carol) == kes(0)


def test_a_payment_key_reused_for_another_amount_or_purpose_is_refused(services, amina):
    fund_savings(services, amina, 2_000_00)
    payment = services.savings.withdraw(amina, kes(500), "wd:reused", channel="whatsapp")
    with pytest.raises(errors.ConflictingRequest):
        services.savings.withdraw(amina, kes(600), "wd:reused", channel="whatsapp")
    with pytest.raises(errors.ConflictingRequest):
        services.savings.deposit(amina, kes(500), "wd:reused", channel="whatsapp")
    assert services.savings.withdraw(amina, kes(500), "wd:reused", channel="whatsapp").id == payment.id
    assert services.savings.balance(amina) == kes(2_000 - 500 - 15)


def test_transfer_refusals(services, amina):
    fund_savings(services, amina, 100_00)
    with pytest.raises(errors.UnknownRecipient):
        services.savings.transfer(amina, "0799 111 222", kes(50), "tr:x", channel="ussd")
    with pytest.raises(errors.NotAPhoneNumber):
        services.savings.transfer(amina, "not a phone", kes(50), "tr:y", channel="ussd")
    with pytest.raises(errors.SelfTransfer):
        services.savings.transfer(amina, KE_PHONE, kes(50), "tr:z", channel="ussd")
    register(services, UG_PHONE, "Okello James")
    with pytest.raises(errors.CurrencyNotServed):
        services.savings.transfer(amina, UG_PHONE, kes(50), "tr:u", channel="ussd")


def test_ugx_has_no_minor_units(services):
    okello = register(services, UG_PHONE, "Okello James")
    assert okello.currency == "UGX"
    amount = parse_amount("50,000", "UGX")
    assert amount == Money(50_000, "UGX")
    fund_savings(services, okello, 60_000)
    payment = services.savings.withdraw(okello, amount, "wd:ug", channel="ussd")
    assert payment.fee == Money(500, "UGX")
    assert services.savings.balance(okello) == Money(9_500, "UGX")
    assert services.savings.balance(okello).major == 9500


def test_history_shows_payment_states(services, amina):
    services.savings.deposit(amina, kes(500), "deposit:h:1", channel="ussd")
    rows = services.savings.history(amina)
    assert [(row.kind.render("en"), row.state) for row in rows] == [("Deposit", "initiated")]


def test_history_names_a_withdrawal(services, amina):
    fund_savings(services, amina, 2_000_00)
    services.savings.withdraw(amina, kes(500), "wd:history", channel="ussd")
    rows = services.savings.history(amina)
    assert [row.kind.render("en") for row in rows] == ["Withdrawal"]
    assert rows[0].kind.render("sw") == "Kutoa pesa"


def test_history_signs_money_in_plus_and_money_out_minus(services, amina, baraka):
    services.providers.install(FakeProvider())
    fund_savings(services, amina, 5_000_00)
    fund_savings(services, baraka, 5_000_00)

    def start(key, direction, purpose, major):
        services.payments.start(key, amina, direction, purpose, kes(major), amina.phone, provider="fake")

    start("h:deposit", "collection", "deposit", 100)
    services.savings.withdraw(amina, kes(200), "h:withdraw", channel="ussd")
    start("h:contribution", "collection", "contribution", 300)
    now = services.clock.now()  # a loan's payout needs a loan to reserve against: the payment row is enough here
    services.session.add(Payment(idempotency_key="h:loan", member_id=amina.id, provider="fake",
                                 direction="disbursement", purpose="loan_disbursement", purpose_ref="1",
                                 amount_minor=400_00, currency="KES", phone=amina.phone, state="succeeded",
                                 created_at=now, updated_at=now))
    start("h:repay", "collection", "loan_repayment", 500)
    services.savings.transfer(amina, baraka.phone, kes(600), "h:out", channel="ussd")
    services.savings.transfer(baraka, amina.phone, kes(700), "h:in", channel="ussd")
    rows = services.savings.history(amina, limit=10)
    assert sorted((row.kind.render("en"), row.amount.major) for row in rows) == sorted([
        ("Deposit", 100), ("Withdrawal", -200), ("Contribution", -300), ("Loan", 400), ("Loan repayment", -500),
        ("Sent to Baraka M.", -610), ("Received from Baraka M.", 700)])  # what left savings: KES 600 and the KES 10 fee


def test_statement_names_cash_deposits_and_pledges():
    assert label("cash_deposit").render("sw") == "Kuweka pesa taslimu"
    assert label("guarantee_pledge").render("en") == "Loan guarantee"
    assert label("group_payout").render("sw") == "Zamu ya kikundi"
