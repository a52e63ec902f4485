"""`python -m bot.locales`: compile every catalog, a `bot.mo` next to each `bot.po` (what the bot reads)."""

from bot.texts import LOCALES, compile_catalog

for po in sorted(LOCALES.glob("*/LC_MESSAGES/bot.po")):
    po.with_suffix(".mo").write_bytes(compile_catalog(po, po.parent.parent.name))
    print(f"compiled {po.with_suffix('.mo').relative_to(LOCALES.parent.parent)}")
