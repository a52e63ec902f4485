"""Test helpers (in-process Bot API, update builders)."""
