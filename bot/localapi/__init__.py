"""A local, in-memory Telegram Bot API that follows Telegram's rules: the demo runs on it, tests too.

- :mod:`bot.localapi.api` — :class:`FakeBotAPI`, the single place with state (used by both
  transports), put together from :mod:`~bot.localapi.state` (state, record of calls, chats),
  :mod:`~bot.localapi.faults`, :mod:`~bot.localapi.updates` (what users do, getUpdates),
  :mod:`~bot.localapi.files` and :mod:`~bot.localapi.outbox` (what the bot sent);
  :mod:`~bot.localapi.methods` implements each Bot API method on it.
- :mod:`bot.localapi.errors` (errors, faults), :mod:`~bot.localapi.builders` (JSON of users,
  chats, messages, updates), :mod:`~bot.localapi.html_parser`, :mod:`~bot.localapi.keyboards`
  (validation like Telegram's), :mod:`~bot.localapi.records` (what callers read back),
  :mod:`~bot.localapi.wire` (PTB's parameter encoding), :mod:`~bot.localapi.constants` (limits).
- :mod:`bot.localapi.offline` — :class:`RecordingRequest`, the in-process transport (a PTB
  ``BaseRequest``, no sockets).
- :mod:`bot.localapi.user` — :class:`FakeUser` for playing the person in a private chat.

The HTTP transport (``tests.fakeapi.server``) stays with the tests. Only the demo command and the
tests import this package; the bot's handlers, services, domain and storage never do.
"""
