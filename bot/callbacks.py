"""Every kind of button the bot sends: its callback-data prefix, the pattern that parses it, its builder.

Callback data comes from the person's client and can be replayed or forged, so it only ever
*names* something (a draft, a step, an entry, a pending confirmation); each handler checks that
against server-side state before changing anything. Data is at most 64 bytes (Telegram's limit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

_HEX8 = r"[0-9a-f]{8}"
_HEX16 = r"[0-9a-f]{16}"
_HEX32 = r"[0-9a-f]{32}"
MAX_DATA_BYTES: Final = 64


@dataclass(frozen=True, slots=True)
class Button:
    """One kind of button: `fields` are the regex groups after the prefix, joined by ':'."""

    prefix: str
    fields: tuple[str, ...] = ()
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = (re.escape(self.prefix), *(f"({f})" for f in self.fields))
        object.__setattr__(self, "regex", re.compile("^" + ":".join(parts) + "$"))

    @property
    def pattern(self) -> re.Pattern[str]:
        """What the handler is registered for; anything else goes to the catch-all "that has passed"."""
        return self.regex

    def data(self, *values: object) -> str:
        text = ":".join((self.prefix, *(str(v) for v in values)))
        if self.parse(text) is None or len(text.encode()) > MAX_DATA_BYTES:
            raise ValueError(f"bad callback data for {self.prefix}")
        return text

    def parse(self, data: str | None) -> tuple[str, ...] | None:
        """The fields, or None if `data` is not a well-formed press of this kind."""
        found = self.regex.match(data or "")
        return found.groups() if found else None


# Guided exercises (checked against the stored draft).
ANSWER = Button("f", (_HEX8, r"\d{1,2}", r"\d{1,2}|use"))  # draft, step index, option index
DECISION = Button("fc", ("keep|drop|cont|late_add|late_drop", _HEX8))  # action, draft
SWITCH = Button("fs", (_HEX8, "[a-z_]{1,20}"))  # open draft to discard, flow to start
START = Button("start", ("checkin|selfexam|pages|boundary|encourage|did",))  # on nudges
# Entries (checked against the presser's own entries).
SHARE = Button("bd", (_HEX32,))
ENTRY = Button("h", (_HEX32,))
SUMMARY = Button("start", ("summary",))  # on the weekly push
CHART = Button("chart", ("week|last|month",))  # under a pushed recap: its chart
# Interests (stable ids, checked against the profile).
INTEREST_ADD = Button("in", ("add",))
INTEREST_REMOVE = Button("inrm", (_HEX8,))
# Setup and settings (checked against the open question and the current menu message).
TIME = Button("time", ("morning|evening", r"\d{2}:\d{2}"))
EDIT = Button("edit", ("zone|morning|evening",))
CONFIRM = Button("setup", ("ok",))
SETTINGS_DONE = Button("settings", ("done",))
SETTINGS_OPEN = Button("settings", ("language|address",))
LANGUAGE = Button("lang", ("[a-z]{2}",))
GENDER = Button("gender", ("feminine|masculine",))
REMIND = Button(
    "rm",
    (r"menu|days|pause|resume|times|t:(?:morning|evening|weekly):(?:on|off)|d:[0-6]:(?:on|off)|p:[0137]",),
)
# Couple mode (checked against the stored invite, the presser's own link and shares, and the open offer).
PARTNER_INVITE = Button("pi", ("new",))
PARTNER_JOIN = Button("pj", ("yes|no", "[A-Za-z0-9_-]{16}"))  # accept or decline, invite code
PARTNER_UNLINK = Button("pu", ("ask|tell|quiet|keep", _HEX16))
PARTNER_HOURS = Button("ph", ("on|off", _HEX16))  # shares at any hour: on / off
PARTNER_REPLY = Button("pr", (_HEX32, "thanks|talk|cheer"))  # the receiver's answer to a share
SHARE_BOUNDARY = Button("sb", (_HEX32, "now|sleep|private"))
SHARE_FEELING = Button("sf", (_HEX32, "all|feeling|note|send|no"))
SHARE_INTEREST = Button("si", (_HEX8,))
TAKE_BACK = Button("pd", (_HEX32,))  # the sender removes a share they sent
# Deletion (checked against the pending confirmation that /delete created).
DELETE = Button("delete", ("yes|no", "[0-9A-Za-z_-]{8,24}"))

ALL: Final = (
    ANSWER, DECISION, SWITCH, START, SHARE, ENTRY, SUMMARY, CHART, INTEREST_ADD, INTEREST_REMOVE,
    TIME, EDIT, CONFIRM, SETTINGS_DONE, SETTINGS_OPEN, LANGUAGE, GENDER, REMIND, DELETE,
    PARTNER_INVITE, PARTNER_JOIN, PARTNER_UNLINK, PARTNER_HOURS, PARTNER_REPLY,
    SHARE_BOUNDARY, SHARE_FEELING, SHARE_INTEREST, TAKE_BACK,
)  # fmt: skip
