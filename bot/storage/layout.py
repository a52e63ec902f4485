"""Where the on-disk store keeps everything; the other storage modules take names from here.

Layout::

    <data_dir>/users/<user_id % 1000:03d>/<user_id>/profile.json
                                                  /draft.log              (an unfinished flow: a journal)
                                                  /entries-YYYY-MM.json   (one per local month)
                                                  /quarantine/<file>.<UTC stamp>
    <data_dir>/users/<user_id % 1000:03d>/profiles-index.json   (user_id -> profile, per shard)
    <data_dir>/drafts/<user_id>          (empty marker: the user may have a draft)
    <data_dir>/index-pending/<user_id>   (empty marker: the shard index may lag the profile)
    <data_dir>/invites.json              (outstanding invite codes)
    <data_dir>/key-check                 (proves the data key, when encryption is on)
    <data_dir>/couples/...               (couple mode: see `bot.storage.couples`)

The two marker directories make start-up cheap with 100k users: `users_with_drafts` lists
one directory and `iter_profiles` reads ~1000 shard indexes instead of 100k profile files.
"""

from __future__ import annotations

from pathlib import Path

USERS_DIR = "users"
DRAFTS_DIR = "drafts"
PENDING_DIR = "index-pending"
SHARD_INDEX = "profiles-index.json"
INVITES = "invites.json"
KEY_CHECK = "key-check"
COUPLES_DIR = "couples"
COUPLE_MARKERS = ("linking", "due")  # subdirectories of empty marker files (never sealed)
QUARANTINE_DIR = "quarantine"
SHARDS = 1000


def user_dir(data_dir: Path, user_id: int) -> Path:
    """Where the user's files live (sharded so no directory grows past ~1000 names)."""
    return data_dir / USERS_DIR / shard_name(user_id) / str(user_id)


def shard_name(user_id: int) -> str:
    """The name of the user's shard directory."""
    return f"{user_id % SHARDS:03d}"
