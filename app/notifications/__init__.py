"""Notifications: one call renders a message for a member and sends it on their channel."""
