"""Compliance alerts: velocity rules over recent money movements, recorded for review.

A periodic scan (the scheduler every ALERT_SCAN_EVERY_MINUTES, or `flask alerts scan`)
reads what has happened — member savings movements in the ledger, PIN and phone
changes on the member row, agents' cash transactions — and applies four rules
(app/alerts/rules.py), each with its window and threshold in configuration:

- `structuring`: ALERT_STRUCTURING_COUNT or more movements out within
  ALERT_STRUCTURING_MARGIN_PERCENT under the per-transaction limit
  (app/savings/limits.py) in ALERT_STRUCTURING_WINDOW_HOURS;
- `pass_through`: money in, then more than ALERT_PASS_THROUGH_PERCENT of it out
  within ALERT_PASS_THROUGH_WINDOW_MINUTES;
- `change_then_money_out`: a PIN change (or reset) or a phone-number change followed by
  money out within ALERT_CHANGE_WINDOW_HOURS;
- `agent_member_volume`: an agent doing more than ALERT_AGENT_MEMBER_MAX_PER_DAY
  transactions for one member in a (local) day.

Each hit is one `security_alerts` row (rule, subject, evidence, status `open`),
unique per rule, subject and window, so a re-run or an overlapping scan raises
nothing twice. The hot money paths are untouched: nothing here runs inside a
deposit, withdrawal or transfer, and an alert never holds money. The back office's
`compliance` role (the operations issue) works them; until then they only record.
"""
