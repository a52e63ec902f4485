"""Storage behind a small interface; `tinydb_store` is the only module that imports tinydb."""

from bot.storage.base import SCHEMA_VERSION, Repository, StorageError

__all__ = ["SCHEMA_VERSION", "Repository", "StorageError"]
