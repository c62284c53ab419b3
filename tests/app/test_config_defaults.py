"""Every setting the code reads is in app/config.py's defaults, so the environment reaches it (issue 13)."""

import re
from pathlib import Path

from app.config import DEFAULTS, load_config

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(r"""(?:config|setting)(?:\.get)?[\[(]\s*f?["']([A-Z][A-Z0-9_]{2,})["']""")
"""`config["X"]`, `config.get("X"`, `.setting("X")`, `as_int(config, "X")` is read below too."""
AS_READS = re.compile(r"""as_(?:int|list|bool)\(\s*[a-z_.]*config[a-z_.]*,\s*["']([A-Z][A-Z0-9_]{2,})["']""")
FLASK_OWN = {"SQLALCHEMY_DATABASE_URI", "BABEL_DEFAULT_LOCALE", "BABEL_DEFAULT_TIMEZONE",
             "BABEL_TRANSLATION_DIRECTORIES", "TESTING", "SERVER_NAME"}
"""Settings Flask and its extensions read, set by create_app itself."""


def test_every_setting_read_in_code_has_a_default():
    read = set()
    for folder in ("app", "channels", "menus"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            read |= set(READS.findall(text)) | set(AS_READS.findall(text))
    assert {"SAVINGS_LIMITS", "MPESA_TRANSACTION_TYPE", "MPESA_B2C_COMMAND_ID", "MPESA_TILL_NUMBER"} <= read
    assert sorted(read - set(DEFAULTS) - FLASK_OWN) == []


def test_buy_goods_and_savings_limits_reach_the_configuration_from_the_environment():
    config = load_config({"MPESA_TRANSACTION_TYPE": "CustomerBuyGoodsOnline", "MPESA_TILL_NUMBER": "5566778",
                          "MPESA_B2C_COMMAND_ID": "SalaryPayment", "SAVINGS_LIMITS": "KES=10:70000:150000",
                          "MPESA_CALLBACK_TOKEN": "m", "MOMO_CALLBACK_TOKEN": "n"})
    assert (config["MPESA_TRANSACTION_TYPE"], config["MPESA_TILL_NUMBER"], config["MPESA_B2C_COMMAND_ID"]) == (
        "CustomerBuyGoodsOnline", "5566778", "SalaryPayment")
    assert config["SAVINGS_LIMITS"] == "KES=10:70000:150000"
    assert (config["MPESA_CALLBACK_TOKEN"], config["MOMO_CALLBACK_TOKEN"]) == ("m", "n")
