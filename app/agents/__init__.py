"""Field agents: vetted people who bank for members with cash, from a basic phone.

Importing the package registers the `agent_float_topup` payment purpose (settlement.py).
"""

from app.agents import settlement  # noqa: F401
