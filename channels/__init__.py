"""Thin channel adapters: parse a provider's request, run the engine, render for the channel."""


def blueprints():
    """Every channel's blueprint, registered by create_app."""
    from channels.console import bp as console_bp
    from channels.payments import bp as payments_bp
    from channels.sms import bp as sms_bp
    from channels.ussd import bp as ussd_bp
    from channels.whatsapp import bp as whatsapp_bp

    return [ussd_bp, payments_bp, sms_bp, whatsapp_bp, console_bp]
