"""The fake Bot API in webhook mode: post pending updates to the bot's webhook, as Telegram does.

Kept apart from the polling machinery: the bot's ``setWebhook`` call (recorded by the fake, which
then refuses getUpdates) says where to post and which secret to send in
``X-Telegram-Bot-Api-Secret-Token``. An update the bot answers with 200 is delivered and leaves
the queue; any other answer leaves it pending (Telegram would try again later).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Final

from bot.localapi.api import FakeBotAPI
from bot.localapi.constants import JSON

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
AS_SET: Final = "<the secret the bot set>"  # deliver with the secret from setWebhook (the default)


def webhook_settings(api: FakeBotAPI) -> JSON:
    """The parameters of the bot's latest successful setWebhook call (AssertionError if none)."""
    calls = [c for c in api.calls("setWebhook") if c.ok]
    if not calls:
        raise AssertionError("the bot has not set a webhook")
    return calls[-1].params


def post_update(url: str, update: JSON, secret_token: str | None, timeout: float = 10.0) -> int:
    """POST one update as JSON to `url`, with the secret header unless `secret_token` is None.
    Returns the HTTP status (0 when the connection failed). Blocking: call via asyncio.to_thread."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers[SECRET_HEADER] = secret_token
    request = urllib.request.Request(url, json.dumps(update).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def deliver_updates(api: FakeBotAPI, secret_token: str | None = AS_SET) -> list[int]:
    """Post every pending update, oldest first, to the webhook; returns each answer's status.

    `secret_token`: the header to send (default: the secret the bot gave setWebhook; None: no
    header). Blocking: call via asyncio.to_thread.
    """
    settings = webhook_settings(api)
    secret = settings.get("secret_token") if secret_token == AS_SET else secret_token
    statuses = []
    for update in api.pending_updates():
        status = post_update(str(settings["url"]), update, None if secret is None else str(secret))
        statuses.append(status)
        if status == 200:
            with api._cond:
                api._updates = [u for u in api._updates if u["update_id"] != update["update_id"]]
    return statuses
