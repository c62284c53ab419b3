"""Template filters: money in the staff member's language, ages ("3 h"), masked values, local times."""

from datetime import datetime

from app.money import Money, format_money
from app.services import request_services
from channels.console import bp
from channels.console.i18n import _, language


@bp.app_template_filter("money")
def money_filter(value, currency=None):
    """A Money (or minor units with `currency`) formatted with decimals, as staff read statements."""
    if value is None:
        return ""
    money = value if isinstance(value, Money) else Money(int(value), currency)
    return format_money(money, language(), decimals=True)


@bp.app_template_filter("age")
def age_filter(moment, now=None):
    """How long ago `moment` was, in the largest whole unit: 45 min, 3 h, 2 d."""
    if moment is None:
        return "-"
    seconds = max(0, int(((now or datetime.now(moment.tzinfo)) - moment).total_seconds()))
    if seconds < 3600:
        return _("{count} min", count=seconds // 60)
    if seconds < 86400:
        return _("{count} h", count=seconds // 3600)
    return _("{count} d", count=seconds // 86400)


@bp.app_template_filter("local")
def local_filter(moment):
    """A timestamp in the deployment's time zone, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone(request_services().clock.zone).strftime("%Y-%m-%d %H:%M")
