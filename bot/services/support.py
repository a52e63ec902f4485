"""Help lines for someone who is struggling: the operator's `[support]` config, else reviewed defaults.

`/support` shows them, and so does the gentle note after words that point to danger; both call
`support_lines`. Lines are plain text (the operator's own words, phone numbers, links): whoever shows
them escapes them, which `t()` does for its values.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from bot.config import Config
from bot.texts import plain

# Built-in lines per ISO country, in the catalogs so each language has its own words (the README asks
# operators to check them). A country the operator lists in [support.by_country] replaces its default.
DEFAULT_COUNTRY_LINES = {
    "IL": "support.line.il",
    "US": "support.line.us",
    "GB": "support.line.uk_ie",
    "IE": "support.line.uk_ie",
}
# Whose time zone is not known yet (setup unfinished): the country most speakers of the language live in.
LIKELY_COUNTRY = {"he": "IL"}
EVERYWHERE = "support.line.emergency"


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country code, from the tzdata package's zone.tab (one country per zone)."""
    table = files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def country_of(timezone: str | None) -> str | None:
    """The country of a time zone ("Asia/Jerusalem" → "IL"); None for none, "UTC" or "Etc/GMT-3"."""
    return _zone_countries().get(timezone) if timezone else None


def support_lines(config: Config, language: str, timezone: str | None) -> list[str]:
    """The help lines for a person: the operator's lines for their language, then those for their
    country (from the time zone, or the likely one for the language), then the emergency number."""
    country = country_of(timezone) or LIKELY_COUNTRY.get(str(language), "")
    lines = list(config.support_languages.get(str(language), ()))
    if country in config.support_countries:
        lines += config.support_countries[country]
    elif country in DEFAULT_COUNTRY_LINES:
        lines += plain(DEFAULT_COUNTRY_LINES[country], language).splitlines()
    lines.append(plain(EVERYWHERE, language))
    return list(dict.fromkeys(line for line in lines if line.strip()))


def as_list(lines: list[str]) -> str:
    """The lines one under another, each with a bullet (plain text, for a `t()` value)."""
    return "\n".join(f"• {line}" for line in lines)
