"""The dashboard's charts, drawn as SVG on the server by pygal: no script, no internet.

Each function answers one question a manager asks and returns SVG bytes; the page
shows them as <img> (so the SVG's own styles apply and nothing in it runs). pygal's
default script comes from the internet: `js=()` leaves it out.
"""

from datetime import timedelta

import pygal
from pygal.style import CleanStyle

from app.hop_counters import UNHEALTHY, hourly
from app.loans.ageing import PAR_DAYS, portfolio_at_risk
from app.loans.par_snapshots import ParSnapshots
from app.money import Money
from channels.console.queries import FLOW_PURPOSES, active_members_per_week, money_flow

CONFIG = {"js": (), "style": CleanStyle, "width": 760, "height": 320, "legend_at_bottom": True,
          "x_label_rotation": 30, "show_minor_x_labels": False, "truncate_legend": 30}
MENU_CHANNELS = ("ussd", "sms", "whatsapp")


def _chart(kind, title, **options):
    return kind(title=title, **{**CONFIG, **options})


def par_over_time(session, clock, currency, days, title):
    """PAR 1/30/60/90 (% of outstanding principal) per day from the snapshots, today's computed live."""
    today = clock.today()
    history = [(row.day, {n: row.share(n) for n in PAR_DAYS})
               for row in ParSnapshots(session, clock=clock).history(currency, today - timedelta(days=days))
               if row.day != today]
    live = next((line for line in portfolio_at_risk(session, today)
                 if line.scope == "portfolio" and line.currency == currency), None)
    if live is not None:
        history.append((today, {n: float(live.share(n)) for n in PAR_DAYS}))
    chart = _chart(pygal.Line, title, y_title="%")
    chart.x_labels = [day.isoformat() for day, _shares in history]
    for n in PAR_DAYS:
        chart.add(f"PAR{n}", [round(shares[n], 2) for _day, shares in history])
    return chart.render()


def money_flow_chart(session, clock, currency, days, title, labels):
    """Succeeded payments per day, one series per (purpose, provider), in `currency` major units."""
    flows = money_flow(session, clock, days, currency)
    day_list = [clock.today() - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    chart = _chart(pygal.StackedBar, title, y_title=currency)
    chart.x_labels = [day.isoformat() for day in day_list]
    providers = sorted({provider for _day, provider, _purpose in flows})
    for purpose in FLOW_PURPOSES:
        for provider in providers:
            values = [float(Money(flows.get((day, provider, purpose), 0), currency).major) for day in day_list]
            if any(values):
                chart.add(f"{labels[purpose]} ({provider})", values)
    return chart.render()


def active_members_chart(session, clock, weeks, title):
    """Distinct members with a ledger movement per week, one line per channel."""
    counts = active_members_per_week(session, clock, weeks)
    monday = clock.today() - timedelta(days=clock.today().weekday())
    week_list = [monday - timedelta(weeks=offset) for offset in range(weeks - 1, -1, -1)]
    chart = _chart(pygal.Line, title)
    chart.x_labels = [week.isoformat() for week in week_list]
    for channel in sorted({channel for _week, channel in counts}):
        chart.add(channel, [counts.get((week, channel), 0) for week in week_list])
    return chart.render()


def service_health_chart(redis, now, hours, title, error_label):
    """Menu hops per hour per channel, and the hops that failed, from the Redis hour counters."""
    chart = _chart(pygal.Bar, title)
    series = {channel: hourly(redis, channel, hours, now) for channel in MENU_CHANNELS}
    chart.x_labels = [moment.strftime("%d %H:00") for moment, _counts in series["ussd"]]
    for channel, rows in series.items():
        chart.add(channel, [sum(counts.values()) for _moment, counts in rows])
    errors = [sum(counts.get(outcome, 0) for rows in series.values() for outcome in UNHEALTHY
                  for counts in [rows[index][1]]) for index in range(hours)]
    chart.add(error_label, errors)
    return chart.render()
