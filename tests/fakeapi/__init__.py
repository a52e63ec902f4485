"""Fake Telegram Bot API for tests: HTTP server, in-process core and user-side helpers."""
