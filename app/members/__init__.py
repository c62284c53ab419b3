"""Members: registration, PINs and lockout, language, profile."""
