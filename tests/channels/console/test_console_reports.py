"""The console's reports through the test client: the group ledger and PAR exports, the printable statement."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app.money import Money
from app.staff.demo import seed_demo_staff
from tests.channels.console.test_console_http import sign_in
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings

FORMULA_NAME = '=HYPERLINK("http://x","pay")'
"""A group name a spreadsheet would run as a formula (the name rule came later; old rows may hold such)."""


@pytest.fixture
def staffed(services, session):
    seed_demo_staff(services)
    session.flush()
    return services


@pytest.fixture
def chama(staffed, session):
    """A weekly group of two, each having contributed from savings once (100.00 and 50.00)."""
    amina = make_member(session, "+254712300001", "Amina Wanjiru", national_id="31415926")
    baraka = make_member(session, "+254712300002", "@Baraka", national_id="27182818")
    for member in (amina, baraka):
        fund_savings(staffed, member, 50_000)
    group = staffed.group_memberships.create_group(amina, name="Upendo Chama", contribution=Money(10_000, "KES"),
                                                   frequency="weekly", meeting_day=3)
    _group, membership = staffed.group_memberships.join_by_code(baraka, group.code)
    staffed.group_memberships.approve(group, amina, baraka.id)
    staffed.group_contributions.contribute_from_savings(amina, group, Money(10_000, "KES"), "test:c1")
    staffed.group_contributions.contribute_from_savings(baraka, group, Money(5_000, "KES"), "test:c2")
    group.name = FORMULA_NAME
    session.flush()
    return group, amina, baraka


def csv_rows(answer):
    assert answer.status_code == 200, answer.get_data(as_text=True)[-800:]
    return list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))


def test_the_group_ledger_lists_each_movement_with_the_pool_balance_and_neutralises_formulas(client, chama):
    group, amina, baraka = chama
    sign_in(client, "demo.branch_manager")
    rows = csv_rows(client.get(f"/console/reports/group_ledger.csv?group={group.id}"))
    assert [row["kind"] for row in rows] == ["opening_balance", "contribution", "contribution", "closing_balance"]
    assert [row["pool_balance_minor"] for row in rows] == ["0", "10000", "15000", "15000"]
    assert [row["member"] for row in rows[1:3]] == ["Amina Wanjiru", "'@Baraka"]
    assert {row["group"] for row in rows} == {"'" + FORMULA_NAME} and rows[1]["amount_minor"] == "10000"
    assert rows[1]["periods"] and rows[1]["currency"] == "KES"
    sheet = load_workbook(io.BytesIO(client.get(f"/console/reports/group_ledger.xlsx?group={group.id}")
                                     .get_data())).active
    assert sheet["A2"].value == "'" + FORMULA_NAME and sheet["A2"].data_type == "s"


def test_a_group_ledger_period_after_the_movements_opens_with_their_balance(client, chama, staffed):
    group, _amina, _baraka = chama
    sign_in(client, "demo.branch_manager")
    later = (staffed.clock.today() + timedelta(days=2)).isoformat()
    rows = csv_rows(client.get(f"/console/reports/group_ledger.csv?group={group.id}&from={later}&to={later}"))
    assert [(row["kind"], row["pool_balance_minor"]) for row in rows] == [("opening_balance", "15000"),
                                                                          ("closing_balance", "15000")]


def test_the_group_ledger_refuses_a_bad_period_an_unknown_group_and_a_role_without_members_view(
        app, client, chama):
    group, _amina, _baraka = chama
    sign_in(client, "demo.branch_manager")
    assert client.get(f"/console/reports/group_ledger.csv?group={group.id}&from=2026-13-01").status_code == 400
    assert client.get(f"/console/reports/group_ledger.csv?group={group.id}&from=2026-02-02&to=2026-02-01"
                      ).status_code == 400
    assert client.get("/console/reports/group_ledger.csv?group=999999999").status_code == 404
    admin = app.test_client()
    sign_in(admin, "demo.admin")
    assert admin.get(f"/console/reports/group_ledger.csv?group={group.id}").status_code == 403


def test_par_is_its_own_export_and_the_reports_page_offers_both_and_the_group_ledger(client, chama):
    sign_in(client, "demo.branch_manager")
    page = client.get("/console/reports").get_data(as_text=True)
    assert 'id="report-par-csv"' in page and 'id="report-portfolio-csv"' in page and 'id="group-ledger"' in page
    par = client.get("/console/reports/par.csv")
    header = next(csv.reader(io.StringIO(par.get_data().decode("utf-8-sig"))))
    assert header[:6] == ["as_of", "scope", "name", "currency", "loans", "outstanding_minor"]
    assert "par30_minor" in header and "par90_percent" in header
    portfolio = client.get("/console/reports/portfolio.csv").get_data().decode("utf-8-sig")
    assert portfolio.splitlines()[0] == "scope,name,currency,loans,outstanding_minor"


def test_the_printable_statement_shows_the_period_balances_and_every_line_but_no_full_id(client, chama, staffed):
    _group, amina, _baraka = chama
    sign_in(client, "demo.support")
    member_page = client.get(f"/console/members/{amina.id}").get_data(as_text=True)
    assert f"/console/members/{amina.id}/statement" in member_page
    savings = staffed.savings.account_for(amina)
    today = staffed.clock.today().isoformat()
    answer = client.get(f"/console/members/{amina.id}/statement?account={savings.id}&from={today}&to={today}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "31415926" not in page and "*" in page.split('id="masked-id">')[1].split("<")[0]
    assert 'data-nav="' not in page and "statement.css" in page
    assert f"{today} – {today}" in page
    lines = page.split('id="statement-lines"')[1]
    assert lines.count("<tr") == 5  # header, opening, the deposit, the contribution, closing
    assert "KES 0.00" in lines.split('id="opening"')[1].split("</tr>")[0]
    assert "KES 500.00" in lines and "KES 400.00" in lines.split('id="closing"')[1]
    assert client.get("/console/static/statement.css").status_code == 200
    later = (staffed.clock.today() + timedelta(days=1)).isoformat()
    after = client.get(f"/console/members/{amina.id}/statement?account={savings.id}&from={later}&to={later}").get_data(
        as_text=True).split('id="statement-lines"')[1]
    assert "KES 400.00" in after.split('id="opening"')[1].split("</tr>")[0] and "No movements." in after


def test_the_printable_statement_needs_members_view(app, chama):
    _group, amina, _baraka = chama
    admin = app.test_client()
    sign_in(admin, "demo.admin")
    assert admin.get(f"/console/members/{amina.id}/statement").status_code == 403
