"""`flask simulate`: talk to the running configuration's menus from a terminal."""

from flask.cli import AppGroup

simulate = AppGroup("simulate", help="Simulate a phone on a channel.")
