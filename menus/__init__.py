"""The menu engine and the menu trees: channel-agnostic, no HTTP here."""
