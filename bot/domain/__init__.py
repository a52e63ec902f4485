"""Pure domain logic: no Telegram, no storage engine."""
