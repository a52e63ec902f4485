"""Storage behind a small interface; only this package imports tinydb (`tinydb_store` and its parts)."""

from bot.storage.base import SCHEMA_VERSION, Repository, StorageError

__all__ = ["SCHEMA_VERSION", "Repository", "StorageError"]
