"""The Bot API methods the fake implements: one function per method, called with the lock held."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, Document, File, InlineKeyboardMarkup

from bot.localapi.builders import message_json, now_ts
from bot.localapi.constants import JSON, MAX_CALLBACK_ANSWER_LENGTH
from bot.localapi.errors import bad_request, require
from bot.localapi.keyboards import validate_reply_markup
from bot.localapi.records import StoredMessage, UploadedFile

if TYPE_CHECKING:
    from bot.localapi.api import FakeBotAPI

Handler = Callable[["FakeBotAPI", JSON, dict[str, UploadedFile]], Any]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def commands_key(scope: Mapping[str, Any] | None, language_code: str | None) -> tuple[str, str]:
    """Where setMyCommands keeps a command list: per scope and language."""
    return json.dumps(dict(scope or {"type": "default"}), sort_keys=True), language_code or ""


def _get_me(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    return dict(api.bot_user)


def _get_updates(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
    raise AssertionError("FakeBotAPI.handle answers getUpdates itself: it may wait without the lock")


def _delete_webhook(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    api._webhook_url = ""
    if params.get("drop_pending_updates"):
        api._updates.clear()
    return True


def _set_webhook(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    api._webhook_url = str(require(params, "url"))
    return True


def _get_webhook_info(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    return {
        "url": api._webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(api._updates),
    }


def _set_my_commands(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    parsed = []
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND_RE.match(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = item.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        parsed.append(BotCommand(item["command"], description).to_dict())
    api._commands[commands_key(params.get("scope"), params.get("language_code"))] = parsed
    return True


def _get_my_commands(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
    return list(api._commands.get(commands_key(params.get("scope"), params.get("language_code")), []))


def _delete_my_commands(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    api._commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
    return True


def _send_message(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    parsed = api._parse_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    return api._send("sendMessage", params, text=parsed.text, entities=parsed.entities)


def _edit_message_text(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._editable(params)
    if "text" not in stored.message:
        raise bad_request("there is no text in the message to edit")
    parsed = api._parse_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
    # Like Telegram: editing the text without reply_markup removes the inline keyboard.
    markup = validate_reply_markup(params.get("reply_markup"))
    _refuse_unchanged(stored, markup, text=parsed.text, entities=parsed.entities)
    return _apply_edit(
        api, "editMessageText", stored, params, markup, text=parsed.text, entities=parsed.entities
    )


def _edit_message_caption(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._editable(params)
    parsed = api._parse_text(
        params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    markup = validate_reply_markup(params.get("reply_markup"))
    _refuse_unchanged(stored, markup, caption=parsed.text, caption_entities=parsed.entities)
    return _apply_edit(
        api,
        "editMessageCaption",
        stored,
        params,
        markup,
        caption=parsed.text or None,
        caption_entities=parsed.entities,
    )


def _edit_message_reply_markup(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._editable(params)
    markup = validate_reply_markup(params.get("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("reply markup must be an inline keyboard")
    _refuse_unchanged(stored, markup)
    return _apply_edit(api, "editMessageReplyMarkup", stored, params, markup)


def _inline_keyboard(markup: JSON | None) -> list[Any]:
    """What an edit can change of a message's markup: its inline keyboard (reply keyboards are not
    part of the message once sent)."""
    return list(markup.get("inline_keyboard") or []) if markup else []


def _refuse_unchanged(stored: StoredMessage, markup: JSON | None, **content: Any) -> None:
    """400 "message is not modified" when the rendered content (text or caption, as parsed, and
    its entities) and the inline keyboard would stay exactly as they are."""
    old = stored.message
    same_content = all(
        (old.get(key) or ("" if isinstance(value, str) else [])) == value for key, value in content.items()
    )
    if same_content and _inline_keyboard(markup) == _inline_keyboard(stored.markup):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )


def _apply_edit(
    api: FakeBotAPI, method: str, stored: StoredMessage, params: JSON, markup: JSON | None, **changes: Any
) -> JSON:
    message = {k: v for k, v in stored.message.items() if k != "reply_markup"}
    for key, value in changes.items():
        if value is None or value == []:
            message.pop(key, None)
        else:
            message[key] = value
    if markup and "inline_keyboard" in markup:
        message["reply_markup"] = InlineKeyboardMarkup.de_json(dict(markup), None).to_dict()
    message["edit_date"] = now_ts()
    message = message_json(message)
    api._record_output(method, message, markup, params, edited=True)
    return message


def _delete_message(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    stored = api._editable(params, "delete")
    stored.deleted = True
    return True


def _answer_callback_query(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    query_id = str(require(params, "callback_query_id"))
    asked = api._query_times.get(query_id)
    if (
        asked is None
        or api._callback_queries[query_id] is not None
        or time.monotonic() - asked > api.callback_query_timeout
    ):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    api._callback_queries[query_id] = dict(params)
    return True


def _caption_fields(api: FakeBotAPI, params: JSON) -> JSON:
    parsed = api._parse_text(
        params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    return {"caption": parsed.text or None, "caption_entities": parsed.entities or None}


def _send_document(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    caption = _caption_fields(api, params)
    stored = api._upload(params, files, "document", "document")
    document = Document(
        file_id=stored.file_id,
        file_unique_id=stored.file_unique_id,
        file_name=stored.file_name,
        mime_type=stored.mime_type,
        file_size=len(stored.content),
    ).to_dict()
    return api._send("sendDocument", params, document=document, **caption)


def _send_photo(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    caption = _caption_fields(api, params)
    stored = api._upload(params, files, "photo", "photo")
    return api._send("sendPhoto", params, photo=api.photo_sizes(stored), **caption)


def _get_file(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    stored = api._files.get(str(require(params, "file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return File(
        file_id=stored.file_id,
        file_unique_id=stored.file_unique_id,
        file_size=len(stored.content),
        file_path=stored.file_path,
    ).to_dict()


def _send_chat_action(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    chat = api.chat(require(params, "chat_id"))
    action = params.get("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    api._chat_actions.append((int(chat["id"]), str(action), time.time()))
    return True


#: Emoji a bot may react with (Telegram's list of standard reactions).
REACTIONS = frozenset(
    (
        "👍",
        "👎",
        "❤",
        "🔥",
        "🥰",
        "👏",
        "😁",
        "🤔",
        "🤯",
        "😱",
        "🤬",
        "😢",
        "🎉",
        "🤩",
        "🤮",
        "💩",
        "🙏",
        "👌",
        "🕊",
        "🤡",
        "🥱",
        "🥴",
        "😍",
        "🐳",
        "❤\u200d🔥",
        "🌚",
        "🌭",
        "💯",
        "🤣",
        "⚡",
        "🍌",
        "🏆",
        "💔",
        "🤨",
        "😐",
        "🍓",
        "🍾",
        "💋",
        "🖕",
        "😈",
        "😴",
        "😭",
        "🤓",
        "👻",
        "👨\u200d💻",
        "👀",
        "🎃",
        "🙈",
        "😇",
        "😨",
        "🤝",
        "✍",
        "🤗",
        "🫡",
        "🎅",
        "🎄",
        "☃",
        "💅",
        "🤪",
        "🗿",
        "🆒",
        "💘",
        "🙉",
        "🦄",
        "😘",
        "💊",
        "🙊",
        "😎",
        "👾",
        "🤷\u200d♂",
        "🤷",
        "🤷\u200d♀",
        "😡",
    )
)


def _set_message_reaction(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    chat = api.chat(require(params, "chat_id"))
    if not isinstance(params.get("message_id"), int):
        raise bad_request("message_id is required")
    for reaction in params.get("reaction") or []:
        if reaction.get("type") != "emoji" or reaction.get("emoji") not in REACTIONS:
            raise bad_request("REACTION_INVALID")
    api._reactions.append((int(chat["id"]), int(params["message_id"]), list(params.get("reaction") or [])))
    return True


def _set_chat_menu_button(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    chat_id = params.get("chat_id")
    api._menu_buttons[int(chat_id) if chat_id is not None else None] = dict(
        params.get("menu_button") or {"type": "default"}
    )
    return True


def _get_chat_menu_button(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> JSON:
    chat_id = params.get("chat_id")
    return api._menu_buttons.get(int(chat_id) if chat_id is not None else None, {"type": "default"})


def _accept(api: FakeBotAPI, params: JSON, files: dict[str, UploadedFile]) -> bool:
    return True


HANDLERS: dict[str, Handler] = {
    name.lower(): handler
    for name, handler in {
        "getMe": _get_me,
        "getUpdates": _get_updates,
        "deleteWebhook": _delete_webhook,
        "setWebhook": _set_webhook,
        "getWebhookInfo": _get_webhook_info,
        "setMyCommands": _set_my_commands,
        "getMyCommands": _get_my_commands,
        "deleteMyCommands": _delete_my_commands,
        "sendMessage": _send_message,
        "editMessageText": _edit_message_text,
        "editMessageCaption": _edit_message_caption,
        "editMessageReplyMarkup": _edit_message_reply_markup,
        "deleteMessage": _delete_message,
        "answerCallbackQuery": _answer_callback_query,
        "sendDocument": _send_document,
        "sendPhoto": _send_photo,
        "getFile": _get_file,
        "sendChatAction": _send_chat_action,
        "setMessageReaction": _set_message_reaction,
        "setChatMenuButton": _set_chat_menu_button,
        "getChatMenuButton": _get_chat_menu_button,
        "close": _accept,
        "logOut": _accept,
    }.items()
}

#: Bot API methods the fake implements.
SUPPORTED_METHODS = frozenset(HANDLERS)
