"""The dashboard: four charts, each answering a manager's question, served as SVG images.

Is the portfolio getting riskier (PAR over time), is money flowing (payments per day
by provider), are members using us (active members per channel per week), is the
service healthy (hops and failures per hour). The page holds <img> tags; each chart
is its own GET, so a slow one never holds up the others.
"""

from flask import Response, abort, current_app, render_template

from app.i18n import N_
from app.services import request_services
from channels.console import bp, charts
from channels.console.guard import permission
from channels.console.home import PURPOSE_LABELS
from channels.console.i18n import _

CHARTS = {
    "par": N_("Portfolio at risk (% of outstanding principal)"),
    "money": N_("Money flow per day by provider"),
    "members": N_("Active members per channel per week"),
    "health": N_("Menu hops per hour, and failures"),
}
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""An SVG shown as an image runs nothing; its own inline styles colour it."""


@bp.route("/dashboard")
@permission("loans.view")
def dashboard():
    return render_template("console/dashboard.html", charts=CHARTS)


@bp.route("/charts/<name>.svg")
@permission("loans.view")
def chart(name):
    if name not in CHARTS:
        abort(404)
    services = request_services()
    currency, title = services.config["DEFAULT_CURRENCY"], _(CHARTS[name])
    if name == "par":
        svg = charts.par_over_time(services.session, services.clock, currency, 90, title)
    elif name == "money":
        labels = {purpose: _(label) for purpose, label in PURPOSE_LABELS.items()}
        svg = charts.money_flow_chart(services.session, services.clock, currency, 14, title, labels)
    elif name == "members":
        svg = charts.active_members_chart(services.session, services.clock, 8, title)
    else:
        svg = charts.service_health_chart(current_app.extensions["redis"], services.clock.now(), 24, title,
                                          _("failures"))
    return Response(svg, mimetype="image/svg+xml", headers={"Content-Security-Policy": SVG_CSP,
                                                            "Cache-Control": "private, max-age=60"})
