"""Files in the fake Bot API: what users send (photos, voice, stickers, documents) and what the
bot uploads, kept so the bot can getFile and download them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from telegram import Contact, Document, Location, PhotoSize, Sticker, Voice

from bot.localapi.builders import FAKE_OGG, TINY_PNG
from bot.localapi.constants import JSON, MAX_UPLOAD_BYTES
from bot.localapi.errors import TelegramAPIError, bad_request
from bot.localapi.records import StoredFile, UploadedFile
from bot.localapi.state import ApiState


class FileStore(ApiState):
    """Stored file bytes by file_id and file_path, and the message fields that carry them."""

    def store_file(
        self, content: bytes, *, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep file bytes under a fresh file_id / file_path."""
        with self._cond:
            n = next(self._file_ids)
            ext = ""
            if file_name and "." in file_name:
                ext = "." + file_name.rsplit(".", 1)[1]
            elif kind == "photo":
                ext = ".jpg"
            elif kind == "voice":
                ext = ".oga"
            elif kind == "sticker":
                ext = ".webp"
            stored = StoredFile(
                file_id=f"FAKE-{kind}-{n:06d}",
                file_unique_id=f"U{kind[:3]}{n:06d}",
                content=content,
                file_path=f"{kind}s/file_{n}{ext}",
                file_name=file_name,
                mime_type=mime_type,
            )
            self._files[stored.file_id] = stored
            self._paths[stored.file_path] = stored.file_id
            return stored

    def media_fields(
        self,
        kind: str,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        emoji: str = "👍",
        duration: int = 2,
    ) -> JSON:
        """Message fields for user-sent media (``photo``, ``voice``, ``sticker``, ``document``).

        The bytes are stored, so the bot can getFile and download them.
        """
        defaults = {
            "photo": (TINY_PNG, "image/png"),
            "voice": (FAKE_OGG, "audio/ogg"),
            "sticker": (b"RIFF\x00\x00\x00\x00WEBP", "image/webp"),
            "document": (b"hello\n", "text/plain"),
        }
        if kind not in defaults:
            raise ValueError(f"unsupported media kind {kind!r}")
        data = content if content is not None else defaults[kind][0]
        mime = mime_type or defaults[kind][1]
        stored = self.store_file(data, kind=kind, file_name=file_name, mime_type=mime)
        size = len(data)
        if kind == "photo":
            return {"photo": self.photo_sizes(stored)}
        if kind == "voice":
            voice = Voice(stored.file_id, stored.file_unique_id, duration, mime_type=mime, file_size=size)
            return {"voice": voice.to_dict()}
        if kind == "sticker":
            sticker = Sticker(
                stored.file_id,
                stored.file_unique_id,
                512,
                512,
                False,
                False,
                Sticker.REGULAR,
                emoji=emoji,
                file_size=size,
            )
            return {"sticker": sticker.to_dict()}
        document = Document(
            stored.file_id,
            stored.file_unique_id,
            file_name=file_name or "file.txt",
            mime_type=mime,
            file_size=size,
        )
        return {"document": document.to_dict()}

    @staticmethod
    def location_fields(latitude: float, longitude: float, *, live_period: int | None = None) -> JSON:
        """Message fields for a location."""
        return {
            "location": Location(longitude=longitude, latitude=latitude, live_period=live_period).to_dict()
        }

    @staticmethod
    def contact_fields(user: Mapping[str, Any], phone_number: str = "+15550100") -> JSON:
        """Message fields for sharing ``user``'s own contact."""
        contact = Contact(phone_number, user.get("first_name", ""), user.get("last_name"), user_id=user["id"])
        return {"contact": contact.to_dict()}

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id."""
        with self._cond:
            return self._files.get(file_id)

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """A stored file by the file_path getFile returned."""
        with self._cond:
            file_id = self._paths.get(file_path)
            return self._files.get(file_id) if file_id else None

    def _upload(self, params: JSON, files: dict[str, UploadedFile], field_name: str, kind: str) -> StoredFile:
        value = params.get(field_name)
        upload = files.get(field_name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD_BYTES:
                raise TelegramAPIError(413, "Request Entity Too Large")
            return self.store_file(
                upload.content, kind=kind, file_name=upload.filename, mime_type=upload.mime_type
            )
        if isinstance(value, str) and value:
            existing = self._files.get(value)
            if existing is not None:
                return existing
            if re.match(r"^https?://", value):
                return self.store_file(b"", kind=kind, file_name=value.rsplit("/", 1)[-1] or None)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def photo_sizes(self, stored: StoredFile) -> list[JSON]:
        """A thumbnail and a full-size ``PhotoSize`` for stored photo bytes."""
        thumb = self.store_file(
            stored.content, kind="photo", file_name=stored.file_name, mime_type=stored.mime_type
        )
        return [
            PhotoSize(thumb.file_id, thumb.file_unique_id, 90, 90, len(thumb.content)).to_dict(),
            PhotoSize(stored.file_id, stored.file_unique_id, 800, 600, len(stored.content)).to_dict(),
        ]
