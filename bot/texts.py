"""Every sentence the bot says, keyed so another language can be added beside "en".

Texts are Telegram HTML. Values passed to `t()` are escaped, so user-typed
words can never break the markup or inject tags.
"""

from __future__ import annotations

import html
from typing import Any, Final

DEFAULT_LANGUAGE: Final = "en"

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        # --- onboarding -------------------------------------------------------------
        "welcome": (
            "<b>Hello, {name}.</b>\n\n"
            "This is a small daily practice for being close to your partner "
            "<i>and</i> staying yourself. Therapists call it <b>differentiation</b>: "
            "you can feel deeply connected while your feelings, needs and opinions "
            "remain your own, and your partner's mood doesn't have to become yours.\n\n"
            "Each day I'll invite you to two short moments:\n"
            "• in the morning, a few minutes of free writing (<i>morning pages</i>);\n"
            "• in the evening, a short emotion diary.\n"
            "Along the way you can look at how you speak up, keep your boundaries and "
            "tend your own interests, and once a week you get a gentle recap."
        ),
        "privacy_note": (
            "<b>About your privacy</b>\n"
            "What you write here is stored only to show it back to you: your time zone, "
            "your reminder times and your entries, in a private file for you on the "
            "server that runs this bot. Only you and the person who operates this bot "
            "can read it, and it is never shared. You can download everything with "
            "/export and erase everything with /delete at any time."
        ),
        "ask_zone": (
            "First, your time zone, so reminders come at your local time.\n\n"
            "Tap <b>{button}</b> below (used once to find your zone; the location "
            "itself is not kept), or type a city (<code>Berlin</code>), a zone "
            "(<code>Europe/Berlin</code>) or an offset (<code>+3</code>, <code>UTC-5</code>)."
        ),
        "button_share_location": "📍 Share my location",
        "button_keep_zone": "Use {zone}",
        "zone_set": "Time zone set: <b>{zone}</b>.",
        "ask_morning": (
            "When would you like the <b>morning pages</b> nudge? "
            "Pick a time or type one, like <code>7:30</code> or <code>6.45am</code>."
        ),
        "ask_evening": (
            "And the <b>evening diary</b>? Pick a time or type one, "
            "like <code>21:00</code> or <code>9pm</code>."
        ),
        "confirm": (
            "Here is what I have:\n"
            "• Time zone: <b>{zone}</b>\n"
            "• Morning pages: <b>{morning}</b>\n"
            "• Evening diary: <b>{evening}</b>\n\n"
            "Does that look right?"
        ),
        "button_confirm": "✅ Looks right",
        "button_change_zone": "Change time zone",
        "button_change_morning": "Change morning time",
        "button_change_evening": "Change evening time",
        "onboarded": (
            "You're all set. 🌱\n\n"
            "I'll nudge you at {morning} for morning pages and at {evening} for your diary. "
            "You don't have to wait for me: /help shows everything you can do."
        ),
        "confirm_with_buttons": "Please confirm with the buttons below, or change what isn't right.",
        "welcome_back": (
            "Welcome back, {name}. 🌿\n"
            "Your time zone is <b>{zone}</b>; morning pages at <b>{morning}</b>, evening diary at "
            "<b>{evening}</b>.\nTo change any of this, use /settings. /help lists everything else."
        ),
        "resume_onboarding": "Let's pick up where we left off.",
        # --- settings ---------------------------------------------------------------
        "settings": (
            "<b>Your settings</b>\n"
            "• Time zone: <b>{zone}</b>\n"
            "• Morning pages: <b>{morning}</b>\n"
            "• Evening diary: <b>{evening}</b>\n\n"
            "What would you like to change?"
        ),
        "button_done": "Done",
        "settings_saved": "Saved. {what}",
        "settings_closed": "Settings closed. Nothing else changed.",
        "settings_need_start": "Let's set you up first: send /start.",
        # --- input hints --------------------------------------------------------------
        "hint.time.format": (
            "I couldn't read that as a time. Try <code>7:30</code>, <code>07:30</code>, "
            "<code>7.30am</code> or <code>21:00</code>."
        ),
        "hint.time.range": "That time doesn't exist on a clock. Hours go 0–23 and minutes 0–59.",
        "hint.time.ampm_range": (
            "With am/pm, hours go from 1 to 12. Try <code>7am</code> or <code>19:00</code>."
        ),
        "hint.zone.ambiguous": (
            "That name covers several time zones. Please type your city, like <code>Chicago</code> "
            "or <code>Kolkata</code>."
        ),
        "hint.zone.offset_format": (
            "I couldn't read that offset. Write it like <code>+3</code>, <code>UTC-5</code> or "
            "<code>+05:30</code>."
        ),
        "hint.zone.unknown": (
            "I don't know that place or zone. Try a larger city nearby, a zone like "
            "<code>Europe/Berlin</code>, or your offset from UTC like <code>+2</code>."
        ),
        "hint.zone.offset_range": "UTC offsets run from −12:00 to +14:00, in steps of 15 minutes.",
        "hint.zone.offset_unsupported": (
            "No place on Earth uses that offset. Please type your city or a zone like "
            "<code>Asia/Kolkata</code>."
        ),
        "hint.location.invalid": (
            "That location didn't come through correctly. Please type your city instead."
        ),
        "hint.location.ocean": (
            "I couldn't find a time zone for that spot. Please type your city or a zone instead."
        ),
        "hint.text_expected": "I can only read text here. {again}",
        "hint.button_expected": "Please use one of the buttons above, or type your answer.",
        "hint.non_text": (
            "I can't read stickers, photos, voice or files, only text. /help shows what I can do."
        ),
        "hint.free_text": (
            "I'm here. Guided check-ins are on their way; for now, /help shows what I can do."
        ),
        "hint.unknown_command": "I don't know {command}. /help lists what I can do.",
        "hint.private_only": (
            "I work in private chats only, to keep what people write private. "
            "Open a private chat with me to start."
        ),
        "stale_button": "That button belongs to an older message. Here is the current step.",
        "unknown_button": "That button no longer works. /help shows what you can do now.",
        "hint.edited": (
            "I noticed you edited a message. I keep what you first sent; "
            "if you'd like to change an answer, just send it again."
        ),
        "cancelled": "Okay, stopped here. Nothing you saved is lost. Send /start whenever you like.",
        # --- help -------------------------------------------------------------------
        "help": (
            "<b>What I can do</b>\n"
            "/start — set up, or see your current setup\n"
            "/settings — change your time zone and reminder times\n"
            "/privacy — what is stored and who can see it\n"
            "/export — download everything you've written\n"
            "/delete — erase everything about you\n"
            "/cancel — stop what we're doing\n"
            "/help — this list"
        ),
        "command.start": "Set up, or see your setup",
        "command.settings": "Time zone and reminder times",
        "command.privacy": "What is stored and who can see it",
        "command.export": "Download all your data",
        "command.delete": "Erase all your data",
        "command.cancel": "Stop the current step",
        "command.help": "What I can do",
        # --- privacy, export, delete ----------------------------------------------
        "export_caption": "Everything stored about you, as JSON ({count} entries).",
        "export_empty": "There is nothing stored about you yet.",
        "delete_ask": (
            "<b>Erase everything?</b>\n"
            "This removes your settings, all your entries and your reminders from this bot, "
            "for good. You may want to /export first.\n\nThis cannot be undone."
        ),
        "button_delete_confirm": "🗑 Yes, erase everything",
        "button_delete_cancel": "Keep my data",
        "delete_done": (
            "Everything about you has been erased. If you ever want to start again, send /start."
        ),
        "delete_cancelled": "Nothing was deleted.",
        # --- faults -----------------------------------------------------------------
        "history_damaged": (
            "⚠️ Part of your saved history could not be read: {count} file(s). They were set "
            "aside untouched, not deleted, and the operator of this bot has been alerted. "
            "Everything else is fine."
        ),
        "save_failed": (
            "I couldn't save that just now, so nothing was changed. Please try again in a moment."
        ),
        "error": "Sorry, something went wrong on my side. Nothing you saved was lost; please try again.",
    },
}


def t(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The text for `key` in `lang` (falling back to English), with `values` HTML-escaped in."""
    table = TEXTS.get(lang or DEFAULT_LANGUAGE, TEXTS[DEFAULT_LANGUAGE])
    template = table.get(key) or TEXTS[DEFAULT_LANGUAGE][key]
    if not values:
        return template
    return template.format(**{k: html.escape(str(v), quote=False) for k, v in values.items()})


def language_for(code: str | None) -> str:
    """Our language for a Telegram `language_code` ("de-AT" → "de" if we have it, else English)."""
    if code:
        base = code.split("-")[0].lower()
        if base in TEXTS:
            return base
    return DEFAULT_LANGUAGE
