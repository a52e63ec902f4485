"""Every sentence the bot says, keyed so another language can be added beside "en".

Texts are Telegram HTML. Values passed to `t()` are escaped (unless they are `Html`,
i.e. already rendered), so user-typed words can never break the markup or inject tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
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
        "privacy_full": (
            "<b>Your privacy</b>\n\n"
            "<b>What is stored:</b> your time zone and reminder times, your interests, and what you "
            "write in the exercises (feelings, answers, pages, boundaries), each with its date. "
            "A shared location is used once to find your time zone and is not kept.\n\n"
            "<b>Where:</b> in a private folder for you on the server that runs this bot, readable only "
            "by the operator of this bot. It is not sold, shared or used for anything else, and what you "
            "write is never written to the bot's logs.\n\n"
            "<b>Who else sees it:</b> messages travel through Telegram, as every chat does.\n\n"
            "<b>Your control:</b> /export sends you everything (as JSON and as a readable journal); "
            "/delete erases all of it, including unfinished exercises and reminders."
        ),
        "ask_zone": (
            "First, your time zone, so reminders come at your local time.\n\n"
            "Tap <b>{button}</b> below (used once to find your zone; the location "
            "itself is not kept), or type a city (<code>Berlin</code>), a zone "
            "(<code>Europe/Berlin</code>) or an offset (<code>+3</code>, <code>UTC-5</code>)."
        ),
        "button_share_location": "📍 Share my location",
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
        "welcome_back.reminders_on": (
            "\n\n🔔 Good to see you again. Your reminders are on again, as set in /remind."
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
        "button_reminders": "🔔 Reminders: on/off, days, pause",
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
        "hint.location.time_question": (
            "A shared location only sets your time zone, and I don't keep it. For this question, "
            "pick a time below or type one, like <code>7:30</code>."
        ),
        "hint.location.idle": (
            "I use a shared location only to set your time zone, and I don't keep it. To change "
            "your zone, open /settings."
        ),
        "hint.blank": (
            "That message came through empty: only spaces or invisible characters. Please type your answer."
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
            "I'm here. To write, start an exercise: /checkin for the emotion diary or /pages for "
            "morning pages. /help shows everything."
        ),
        "hint.unknown_command": "I don't know {command}. /help lists what I can do.",
        "hint.private_only": (
            "I work in private chats only, to keep what people write private. "
            "Open a private chat with me to start."
        ),
        "hint.edited": (
            "I noticed you edited a message. I keep what you first sent; "
            "if you'd like to change an answer, just send it again."
        ),
        "cancelled": "Okay, stopped here. Nothing you saved is lost. Send /start whenever you like.",
        # --- help -------------------------------------------------------------------
        "help": (
            "<b>What I can do</b>\n"
            "/checkin — evening emotion diary\n"
            "/pages — morning pages, timed free writing\n"
            "/selfexam — three questions, answered by timed writing\n"
            "/boundary — put a boundary into words; /boundaries lists them\n"
            "/interests — your own interests; /did logs time, like <code>/did piano 30m</code>\n"
            "/encourage — the weekly question about your partner's interests\n"
            "In an exercise: /skip, /back, /done (ends a writing window), /cancel\n\n"
            "/start — set up, or see your current setup\n"
            "/summary — your week, with a chart (<code>/summary last</code>, <code>/summary month</code>)\n"
            "/history — your last entries (<code>/history 20</code>)\n"
            "/settings — change your time zone and reminder times\n"
            "/remind — turn reminders on or off, choose days, pause them\n"
            "/privacy — what is stored and who can see it\n"
            "/export — download everything you've written\n"
            "/delete — erase everything about you\n"
            "/cancel — stop what we're doing\n"
            "/help — this list"
        ),
        "command.start": "Set up, or see your setup",
        "command.checkin": "Evening emotion diary",
        "command.pages": "Morning pages: timed free writing",
        "command.selfexam": "Self-examination: three questions",
        "command.boundary": "Put a boundary into words",
        "command.boundaries": "Your boundaries",
        "command.interests": "Your personal interests",
        "command.did": "Log time on an interest",
        "command.summary": "Your week: recap and chart",
        "command.history": "Your last entries",
        "command.remind": "Reminders: on/off, days, pause",
        "command.settings": "Time zone and reminder times",
        "command.privacy": "What is stored and who can see it",
        "command.export": "Download all your data",
        "command.delete": "Erase all your data",
        "command.cancel": "Stop the current step",
        "command.help": "What I can do",
        # --- guided flows: shared ---------------------------------------------------
        "flow.step_of": "<i>{title} · {number}/{total}</i>",
        "flow.follow_up": (
            "Could you say a little more? An example, or how it felt in your body, is plenty."
        ),
        "flow.saved_draft": "Kept. Send /{command} whenever you want to go on from here.",
        "flow.discarded": "Let go. Nothing from this {title} was kept.",
        "flow.cancel_ask": "Stop the {title} here? You can keep what you've written and continue later.",
        "flow.button_keep": "Keep it for later",
        "flow.button_discard": "Discard it",
        "flow.button_continue": "Continue it",
        "flow.button_start_new": "Discard it and start",
        "flow.other_open": (
            "You have an unfinished <b>{title}</b> from {date}. Continue it, or discard it and "
            "start the new one?"
        ),
        "flow.resumed": "Welcome back to your {title}. Here's where you were:",
        "flow.idle": (
            "I've set your {title} aside for now, with everything you wrote. "
            "Send /{command} when you're ready to continue."
        ),
        "flow.passed": "That question has passed.",
        "flow.already_open": "It's open already: the question is just above.",
        "flow.no_flow": "There's nothing to {action} right now. /help shows what you can start.",
        "flow.back_hint": "/back to change your last answer",
        "flow.optional_hint": "/skip if you'd rather not answer",
        "flow.hint.blank": (
            "That message came through empty: only spaces or invisible characters. Take your "
            "time and write a few words."
        ),
        "flow.hint.scale": "Please pick a number from 1 (a little) to 5 (very strongly).",
        "flow.hint.choice": "Please use one of the buttons.",
        "flow.hint.not_optional": (
            "This one matters for the exercise, so it can't be skipped. A few words are enough."
        ),
        "flow.hint.back_first": "This is the first question, so there's nothing to go back to.",
        "flow.hint.back_writing": "The writing window is open. Send /done to close it first.",
        "flow.hint.writing_closed": "This writing window has closed.",
        "flow.hint.flow_done": "This exercise is already complete.",
        "flow.hint.stale": "That question has passed.",
        "flow.hint.duration.format": (
            "Write a duration like <code>40m</code>, <code>1h</code> or <code>1h30</code>."
        ),
        "flow.hint.duration.range": "Please give a duration between 1 minute and 24 hours.",
        "flow.text_only": "I can only read text in an exercise.",
        "flow.scale_legend": "1 = a little · 5 = very strongly",
        # --- timed writing ------------------------------------------------------------
        "writing.started": (
            "⏱ The clock is running: <b>{minutes} min</b>. Write whatever comes, in as many messages "
            "as you like; don't edit, don't judge. Send /done if you finish early."
        ),
        "writing.times_up": "⏰ Time's up. You wrote <b>{words}</b> words.",
        "writing.done_early": "Closed. You wrote <b>{words}</b> words.",
        "writing.empty": "No words this time, and that's all right. Noticing is also practice.",
        "writing.late_offer": (
            "Your writing window has closed. Add this message to today's morning pages anyway?"
        ),
        "writing.button_add": "Add it",
        "writing.button_drop": "No, leave it",
        "writing.added": "Added. Today's pages now have <b>{words}</b> words.",
        "writing.not_added": "Okay, not added.",
        "writing.previous": "<i>Last time ({date}) you began with: “{line}”</i>",
        # --- emotion diary -----------------------------------------------------------
        "flow.checkin.title": "emotion diary",
        "flow.checkin.intro": "Let's take a few minutes for how you feel today. One question at a time.",
        "checkin.family": "Which family of feelings is closest right now? (Or type your own word.)",
        "checkin.feeling": "Which word fits best? (Or type your own.)",
        "checkin.intensity": "How strong is it?",
        "checkin.happened": "What happened that brought this feeling?",
        "checkin.whose": ("Whose feeling is this? Is it yours, or are you picking up your partner's mood?"),
        "checkin.expressed": "Did you share this feeling with your partner?",
        "checkin.expressed_why": "What made that easy or hard?",
        "checkin.need": "What do you need right now?",
        "flow.checkin.done": "Saved. 🌿 Thank you for listening to yourself today.\n{streak}",
        "family.joy": "😊 Joy",
        "family.calm": "😌 Calm",
        "family.love": "🤍 Love",
        "family.sadness": "😢 Sadness",
        "family.fear": "😟 Fear",
        "family.anger": "😠 Anger",
        "family.shame": "😳 Shame",
        "family.hurt": "💔 Hurt",
        "feeling.glad": "glad",
        "feeling.excited": "excited",
        "feeling.grateful": "grateful",
        "feeling.proud": "proud",
        "feeling.playful": "playful",
        "feeling.relaxed": "relaxed",
        "feeling.content": "content",
        "feeling.relieved": "relieved",
        "feeling.safe": "safe",
        "feeling.peaceful": "peaceful",
        "feeling.tender": "tender",
        "feeling.close": "close",
        "feeling.caring": "caring",
        "feeling.desired": "desired",
        "feeling.warm": "warm",
        "feeling.sad": "sad",
        "feeling.lonely": "lonely",
        "feeling.disappointed": "disappointed",
        "feeling.tired": "tired",
        "feeling.empty": "empty",
        "feeling.anxious": "anxious",
        "feeling.worried": "worried",
        "feeling.insecure": "insecure",
        "feeling.overwhelmed": "overwhelmed",
        "feeling.tense": "tense",
        "feeling.irritated": "irritated",
        "feeling.frustrated": "frustrated",
        "feeling.resentful": "resentful",
        "feeling.angry": "angry",
        "feeling.jealous": "jealous",
        "feeling.ashamed": "ashamed",
        "feeling.guilty": "guilty",
        "feeling.embarrassed": "embarrassed",
        "feeling.small": "small",
        "feeling.exposed": "exposed",
        "feeling.hurt": "hurt",
        "feeling.rejected": "rejected",
        "feeling.unseen": "unseen",
        "feeling.misunderstood": "misunderstood",
        "feeling.let_down": "let down",
        "whose.mine": "Mine",
        "whose.partner": "A reaction to my partner's mood",
        "whose.both": "Both",
        "whose.unsure": "Not sure",
        "expressed.yes": "Yes",
        "expressed.partly": "Partly",
        "expressed.no": "No",
        "expressed.not_relevant": "Not relevant",
        "streak": "Streak: <b>{days}</b> day(s) in a row.",
        # --- self-examination --------------------------------------------------------
        "flow.selfexam.title": "self-examination",
        "flow.selfexam.intro": (
            "Three questions about how you stay yourself in your relationship. For each one, "
            "write freely for a few minutes: examples, feelings, whatever comes. "
            "A plain yes or no won't tell you much; let the writing wander."
        ),
        "selfexam.minutes": "How long would you like for each question?",
        "minutes.option": "{minutes} min",
        "selfexam.q1": (
            "<b>1. Can I tell my partner what I truly feel?</b>\n"
            "When does it happen? What makes it easier, and what gets in the way?"
        ),
        "selfexam.q2": (
            "<b>2. Do I stay myself when my partner disagrees with me?</b>\n"
            "When does it happen? What helps me hold on to myself, and what doesn't?"
        ),
        "selfexam.q3": (
            "<b>3. Do I respect my own boundaries, and my partner's?</b>\n"
            "What do boundaries mean to me? When is this hard, and when is it easy?"
        ),
        "selfexam.q1_rating": "How at ease do you feel sharing your true feelings, from 1 to 5?",
        "selfexam.q2_rating": "How well do you keep your sense of self in disagreement, from 1 to 5?",
        "selfexam.q3_rating": "How well do you respect both your boundaries, from 1 to 5?",
        "flow.selfexam.done": (
            "Saved. That was real work. 🌱 Retake it in a few weeks to see how your answers move."
        ),
        # --- morning pages ------------------------------------------------------------
        "flow.pages.title": "morning pages",
        "flow.pages.intro": "Good morning. Empty your head onto the page: no topic, no rules.",
        "pages.write": "Write anything at all. Today's goal is {goal} words.",
        "flow.pages.done": "Saved: <b>{words}</b> of {goal} words today. {streak}",
        # --- boundaries -----------------------------------------------------------------
        "flow.boundary.title": "boundary",
        "flow.boundary.intro": (
            "A boundary protects something of yours; it isn't a wall against your partner. "
            "Let's put one into words."
        ),
        "boundary.area": "Where do you need more space or independence?",
        "area.alone_time": "Time alone",
        "area.friends": "Friends",
        "area.work": "Work",
        "area.money": "Money",
        "area.space": "Physical space",
        "area.phone": "Phone",
        "area.family": "Family",
        "area.other": "Something else",
        "boundary.need": "What do you need?",
        "boundary.when": "When, or in which situations?",
        "boundary.why": "Why does this matter to you?",
        "boundary.statement": (
            "Here's a way to say it:\n\n<b>{statement}</b>\n\nUse it as it is, or type your own version."
        ),
        "boundary.template": "I need {need} when {when}, because {why}.",
        "boundary.button_use": "✅ Use this",
        "flow.boundary.done": (
            "Saved. /boundaries shows all of them; mark one as shared once you've told your partner."
        ),
        "boundaries.none": "You haven't written down any boundaries yet. /boundary starts one.",
        "boundaries.header": "<b>Your boundaries</b>",
        "boundaries.item": "{number}. {statement} <i>({status})</i>",
        "boundaries.shared": "shared",
        "boundaries.not_shared": "not shared yet",
        "boundaries.button_share": "Mark {number} as shared",
        "boundaries.button_share_one": "Mark as shared",
        "boundaries.ask_outcome": "How did sharing it go? A sentence or two is enough (or /skip).",
        "boundaries.marked": "Marked as shared. It takes courage to say what you need. 🤍",
        "boundaries.follow_up": (
            "A gentle nudge: you wrote down a boundary on {date} and haven't marked it as shared yet: "
            "“{statement}”. When might be a good moment to tell your partner?"
        ),
        # --- personal interests --------------------------------------------------------
        "flow.did.title": "time for yourself",
        "flow.did.intro": "Time spent on what's yours. Let's note it.",
        "did.interest": "Which interest? (Or type a new one.)",
        "did.minutes": "How long? Pick one or type it, like <code>40m</code> or <code>1h30</code>.",
        "duration.15": "15 min",
        "duration.30": "30 min",
        "duration.45": "45 min",
        "duration.60": "1 h",
        "duration.90": "1½ h",
        "flow.did.done": (
            "Logged <b>{minutes} min</b> of {interest}. This week: <b>{week}</b> min for yourself."
        ),
        "did.usage": (
            "Log time on an interest like this: <code>/did painting 40m</code>, "
            "or just send /did and pick with buttons."
        ),
        "interests.header": "<b>Your interests</b>\n{items}",
        "interests.none": (
            "No interests listed yet. What keeps you grounded outside the relationship? Tap Add and type one."
        ),
        "interests.button_add": "➕ Add",
        "interests.button_remove": "✕ {name}",
        "interests.ask_name": (
            "What's the interest? A word or two, like <code>running</code> or <code>piano</code>."
        ),
        "interests.added": "Added {name}.",
        "interests.removed": "Removed {name}.",
        "flow.hint.too_long": "Please keep it to a short name, a word or two (up to 60 characters).",
        "interests.limit": "That's a full list already ({limit}). Remove one to add another.",
        "flow.encourage.title": "weekly question",
        "flow.encourage.intro": "A question about your partner's world, once a week.",
        "encourage.question": "This week, did you encourage your partner's own interests?",
        "encouraged.yes": "Yes",
        "encouraged.a_little": "A little",
        "encouraged.no": "Not this week",
        "encourage.how": "How? Or what might you do next week? (/skip is fine.)",
        "flow.encourage.done": (
            "Saved. Supporting each other's separate worlds brings more into the shared one."
        ),
        # --- recap, history, export -------------------------------------------------
        "summary.title.week": "Your week: {start} – {end}",
        "summary.title.last": "Last week: {start} – {end}",
        "summary.title.month": "Your last 30 days: {start} – {end}",
        "summary.checkins": "📓 Check-ins on <b>{count}</b> of {days} days · streak <b>{streak}</b>",
        "summary.feelings": "💭 Most often: {feelings}",
        "summary.intensity": "🌡 Average intensity <b>{value}</b> / 5",
        "summary.intensity_change": (
            "🌡 Average intensity <b>{value}</b> / 5 ({change} on the period before)"
        ),
        "summary.whose": (
            "🪞 Whose feeling: yours <b>{mine}</b>, a reaction to your partner's mood <b>{partner}</b>, "
            "both <b>{both}</b>, not sure <b>{unsure}</b>"
        ),
        "summary.expressed": (
            "🗣 Shared with your partner: <b>{shared}</b> of {total} times (partly: {partly})"
        ),
        "summary.pages": "☀️ Morning pages: <b>{sessions}</b> session(s), <b>{words}</b> words",
        "summary.rating": "🔎 Question {number}: now <b>{latest}</b>/5 (first time, {first_date}: {first})",
        "summary.boundaries": "🧭 Boundaries set <b>{set}</b>, shared <b>{shared}</b>",
        "summary.interests": "🎨 Time on your own interests: <b>{minutes}</b> min",
        "summary.encouraged.yes": "🤝 You encouraged your partner's interests this week.",
        "summary.encouraged.a_little": "🤝 You encouraged your partner's interests a little.",
        "summary.encouraged.no": "🤝 Not much room for your partner's interests this week.",
        "summary.question": "<b>For the coming week</b>\n{question}",
        "summary.empty": (
            "Nothing written in this period yet, and that's fine. Every practice starts somewhere. "
            "A two-minute check-in is a good first step."
        ),
        "summary.button_checkin": "📓 Start a check-in",
        "summary.usage": (
            "Use /summary for the last 7 days, <code>/summary last</code> for last week, "
            "or <code>/summary month</code> for the last 30 days."
        ),
        "summary.chart_caption.week": "Your week at a glance",
        "summary.chart_caption.last": "Last week at a glance",
        "summary.chart_caption.month": "Your 30 days at a glance",
        "chart.intensity": "Intensity (1–5)",
        "chart.mix": "Feelings this period",
        "chart.no_entry": "–",
        "chart.weekdays": "Mon Tue Wed Thu Fri Sat Sun",
        "question.notice_own_first": (
            "Many feelings this week were echoes of your partner's mood. When you notice theirs, "
            "can you pause and ask: and what do I feel, right now?"
        ),
        "question.share_small": (
            "Most feelings stayed unspoken. What is one small feeling you could share with your partner "
            "this week, just to hear yourself say it?"
        ),
        "question.steady": (
            "It was an intense week. What helps you come back to yourself when feelings run high?"
        ),
        "question.own_time": "What is one thing, just yours, that you could make time for this week?",
        "question.boundary": (
            "Is there a place where you need a little more space? /boundary can help put it into words."
        ),
        "question.default": "Where this week did you feel most like yourself while close to your partner?",
        "history.empty": "Nothing written yet. /checkin or /pages are good places to start.",
        "history.usage": "Use <code>/history</code> or <code>/history 20</code> (1 to 100 entries).",
        "history.header": "<b>Your last {count} entries</b>",
        "history.line": "{number}. {date} · <i>{kind}</i> — {gist}",
        "history.entry_title": "<b>{date} · {kind}</b>",
        "history.field": "<b>{label}:</b> {value}",
        "history.not_found": "That entry isn't there any more.",
        "kind.diary": "emotion diary",
        "kind.pages": "morning pages",
        "kind.selfexam": "self-examination",
        "kind.boundary": "boundary",
        "kind.boundary_update": "boundary shared",
        "kind.interest_time": "own time",
        "kind.encourage": "weekly question",
        "kind.recovered_draft": "recovered draft",
        "export_journal_caption": "The same, as a readable journal (Markdown).",
        "field.family": "Feeling family",
        "field.feeling": "Feeling",
        "field.intensity": "Intensity (1–5)",
        "field.happened": "What happened",
        "field.whose": "Whose feeling",
        "field.expressed": "Shared with my partner",
        "field.expressed_why": "What made that easy or hard",
        "field.need": "What I need",
        "field.minutes": "Minutes",
        "field.q1": "Expressing my true feelings",
        "field.q2": "Staying myself when my partner disagrees",
        "field.q3": "Respecting both our boundaries",
        "field.q1_rating": "Rating, question 1",
        "field.q2_rating": "Rating, question 2",
        "field.q3_rating": "Rating, question 3",
        "field.text": "Pages",
        "field.late": "Added after the window closed",
        "field.area": "Area",
        "field.when": "When",
        "field.why": "Why it matters",
        "field.statement": "Boundary",
        "field.boundary_id": "Boundary",
        "field.shared": "Shared",
        "field.outcome": "How it went",
        "field.interest": "Interest",
        "field.encouraged": "Encouraged my partner's interests",
        "field.how": "How",
        "journal.title": "My check-in journal",
        "value.yes": "Yes",
        "value.no": "No",
        # --- nudges and reminders ---------------------------------------------------
        "nudge.morning": "Good morning 🌅 A few minutes of morning pages? Just write, no rules.",
        "nudge.evening": "How was today? 🌙 Two minutes for your emotion diary.",
        "nudge.button_pages": "✍️ Start morning pages",
        "nudge.button_checkin": "📓 Start check-in",
        "nudge.weekly_encourage": "One more question for the week, about your partner's own world.",
        "nudge.button_encourage": "🤝 Answer it",
        "reminders": (
            "<b>Reminders</b>\n"
            "• Morning pages at <b>{morning}</b>: {morning_state}\n"
            "• Evening diary at <b>{evening}</b>: {evening_state}\n"
            "• Weekly recap, {weekly_day} at <b>{weekly_time}</b>: {weekly_state}\n"
            "• Days: {days}\n"
            "{pause}"
        ),
        "reminders.on": "on",
        "reminders.off": "off",
        "reminders.not_paused": "",
        "reminders.paused_until": "⏸ Paused. Reminders resume on {weekday} {date}.",
        "reminders.paused_forever": "⏸ Paused until you resume.",
        "reminders.toggle.morning": "Morning: turn {state}",
        "reminders.toggle.evening": "Evening: turn {state}",
        "reminders.toggle.weekly": "Weekly recap: turn {state}",
        "reminders.button_days": "📅 Choose days",
        "reminders.button_pause": "⏸ Pause",
        "reminders.button_resume": "▶️ Resume",
        "reminders.button_times": "🕰 Change times or zone",
        "reminders.button_back": "← Back",
        "reminders.days_prompt": "On which days would you like the morning and evening nudges?",
        "reminders.pause_prompt": "Pause all reminders for how long? Nothing else changes.",
        "reminders.pause.1": "1 day",
        "reminders.pause.3": "3 days",
        "reminders.pause.7": "1 week",
        "reminders.pause.0": "Until I resume",
        "reminders.need_setup": "Let's set you up first: send /start.",
        "reminders.every_day": "every day",
        "reminders.no_days": "none",
        "weekday.0": "Mon",
        "weekday.1": "Tue",
        "weekday.2": "Wed",
        "weekday.3": "Thu",
        "weekday.4": "Fri",
        "weekday.5": "Sat",
        "weekday.6": "Sun",
        "weekday_long.0": "Monday",
        "weekday_long.1": "Tuesday",
        "weekday_long.2": "Wednesday",
        "weekday_long.3": "Thursday",
        "weekday_long.4": "Friday",
        "weekday_long.5": "Saturday",
        "weekday_long.6": "Sunday",
        # --- access ----------------------------------------------------------------
        "access.refused": (
            "Hello. This bot is private: it is open only to people invited by the person who runs it. "
            "If you were given an invite link, please open it again. Nothing about you was stored."
        ),
        "access.refused_short": "This bot is open by invitation only.",
        "invite.not_admin": "Only the operators of this bot can create invite links.",
        "invite.link": "A single-use invite, valid for {days} days:\n{link}",
        "invite.open_mode": (
            'Anyone can use this bot right now (access mode "open"), but here is a single-use '
            "invite for when it is invite-only, valid for {days} days:\n{link}"
        ),
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


class Html(str):
    """Text that is already Telegram HTML (e.g. another `t()` result), inserted unescaped."""

    __slots__ = ()


def _template(key: str, lang: str | None) -> str:
    table = TEXTS.get(lang or DEFAULT_LANGUAGE, TEXTS[DEFAULT_LANGUAGE])
    return table.get(key) or TEXTS[DEFAULT_LANGUAGE][key]


def t(key: str, lang: str | None = None, /, **values: Any) -> Html:
    """The text for `key` in `lang` (falling back to English), with `values` HTML-escaped in."""
    template = _template(key, lang)
    if not values:
        return Html(template)
    return Html(
        template.format(
            **{k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in values.items()}
        )
    )


_TAG = re.compile(r"<[^>]*>")


def plain(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The text for `key` as plain text, `values` put in as they are (never escaped).

    For what Telegram shows without parsing HTML: button labels, answers to button presses.
    Tags in the template are dropped and its entities decoded. Pass the result through
    `bot.render.button_label` for a button.
    """
    return _plain_template(key, lang).format(**values)


def _plain_template(key: str, lang: str | None) -> str:
    return html.unescape(_TAG.sub("", _template(key, lang)))


def words_in(lang: str | None) -> Callable[[str], str | None]:
    """Plain words for text keys in `lang`, None for a key without text (for `bot.domain.journal`)."""

    def words(key: str) -> str | None:
        return _plain_template(key, lang) if has_text(key, lang) else None

    return words


def has_text(key: str, lang: str | None = None) -> bool:
    return key in TEXTS.get(lang or DEFAULT_LANGUAGE, {}) or key in TEXTS[DEFAULT_LANGUAGE]


def language_for(code: str | None) -> str:
    """Our language for a Telegram `language_code` ("de-AT" → "de" if we have it, else English)."""
    if code:
        base = code.split("-")[0].lower()
        if base in TEXTS:
            return base
    return DEFAULT_LANGUAGE
