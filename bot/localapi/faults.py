"""Faults a test injects into the fake Bot API: failing calls, blocked chats, rate limits."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from telegram import Chat

from bot.localapi.constants import PAID_MESSAGES_PER_SECOND
from bot.localapi.errors import Fault, too_many_requests
from bot.localapi.state import ApiState, RateLimit


class FaultControls(ApiState):
    """Make calls fail like Telegram does when things go wrong; the dispatcher consults these."""

    def inject_fault(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
        duration: float | None = None,
        body: bytes | None = None,
    ) -> Fault:
        """Make the next ``times`` matching calls fail (``times=None``: until cleared / ``duration``).

        ``status``: answer with this HTTP error (429 gets ``retry_after``, default 1);
        ``delay``: answer only after ``delay`` seconds (use for client timeouts);
        ``drop_connection``: close the connection without answering (transport error);
        ``body``: raw response body instead of Telegram's error JSON (e.g. nginx HTML for 502).
        """
        if status is None and delay is None and not drop_connection:
            raise ValueError("a fault needs status, delay or drop_connection")
        fault = Fault(
            method=method,
            status=status,
            description=description,
            retry_after=retry_after,
            remaining=times,
            chat_id=chat_id,
            delay=delay,
            drop_connection=drop_connection,
            until=time.monotonic() + duration if duration is not None else None,
            body=body,
        )
        with self._cond:
            self._faults.append(fault)
        return fault

    def fail_connections(
        self, method: str | None = "getUpdates", *, times: int | None = None, duration: float | None = 1.0
    ) -> Fault:
        """Drop connections for ``method`` (default getUpdates) ``times`` times or for ``duration`` s."""
        return self.inject_fault(method, drop_connection=True, times=times, duration=duration)

    def clear_faults(self) -> None:
        """Remove all injected faults (blocked chats and rate limits stay)."""
        with self._cond:
            self._faults.clear()

    def take_fault(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        """Consume and return the first fault matching this call, if any."""
        now = time.monotonic()
        with self._cond:
            self._faults = [
                f
                for f in self._faults
                if not (
                    (f.remaining is not None and f.remaining <= 0) or (f.until is not None and now >= f.until)
                )
            ]
            for fault in self._faults:
                if fault.matches(method, params, now):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def block(self, chat_id: int | str) -> None:
        """Answer 403 for every call addressed to ``chat_id`` until :meth:`unblock`."""
        with self._cond:
            self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """Undo :meth:`block`."""
        with self._cond:
            self._blocked.discard(str(chat_id))

    def enforce_rate(
        self,
        per_second: float | None = 30,
        *,
        per_chat_per_second: float | None = None,
        paid_per_second: float | None = PAID_MESSAGES_PER_SECOND,
    ) -> None:
        """Answer 429 (with retry_after) when sends/edits exceed the limits; ``enforce_rate(None)``
        disables them all. Paid broadcasts (``allow_paid_broadcast``) skip ``per_second`` but
        every send counts against ``paid_per_second``."""
        with self._cond:
            if per_second is None and per_chat_per_second is None:
                self._rate = None
            else:
                self._rate = RateLimit(per_second, per_chat_per_second, paid_per_second)

    def _blocked_description(self, chat_id: Any) -> str:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat and chat["type"] in (Chat.GROUP, Chat.SUPERGROUP):
            return "Forbidden: bot was kicked from the group chat"
        if chat and chat["type"] == Chat.CHANNEL:
            return "Forbidden: bot is not a member of the channel chat"
        return "Forbidden: bot was blocked by the user"

    def _check_rate(self, chat_id: Any, paid: bool = False) -> None:
        rate = self._rate
        if rate is None:
            return
        now = time.monotonic()
        windows: list[tuple[deque[float], float]] = []
        if rate.per_second is not None and not paid:
            windows.append((rate.window, rate.per_second))
        if rate.paid_per_second is not None:
            windows.append((rate.every, rate.paid_per_second))
        if rate.per_chat_per_second is not None and chat_id is not None:
            windows.append((rate.per_chat.setdefault(str(chat_id), deque()), rate.per_chat_per_second))
        for window, limit in windows:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                raise too_many_requests(max(1, math.ceil(window[0] + 1.0 - now)))
        for window, _ in windows:
            window.append(now)
