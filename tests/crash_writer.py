"""Append entries and save drafts forever through TinyDBRepository, acknowledging each on stdout.

Run by tests/test_crash_safety.py, which SIGKILLs it at a random moment. An entry_id
is printed (and flushed) only after `append_entry` returned, i.e. once it is durable;
likewise `draft <run> <n>` after `save_draft`. Profiles are saved now and then, so kills
also land between a profile file and its shard index.

Usage: python tests/crash_writer.py <data_dir> <run_no>  (encrypts when CHECKIN_BOT_DATA_KEY is set)
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.models import Entry, Profile
from bot.storage.crypto import KEY_ENV, Cipher
from bot.storage.tinydb_store import TinyDBRepository

USER_ID = 4242
ALPHABET = 'abcdefghij ÄÖÜäöüß éèêç ЖжЩщ 日本語の文 😀🫶🏽 שלום مرحبا \n\t"\\'
LENGTHS = [0, 1, 12, 80, 400, 2000, 6000]
KINDS = ["checkin", "morning_pages", "boundary"]


async def main(data_dir: Path, run_no: int) -> None:
    rng = random.Random(run_no)
    key = os.environ.get(KEY_ENV)
    repo = TinyDBRepository(data_dir, cipher=Cipher.from_text(key) if key else None)
    for n in range(10**9):
        if n % 25 == 0:
            zone = rng.choice(["Europe/Berlin", "Asia/Tokyo", "America/Sao_Paulo"])
            await repo.save_profile(Profile(user_id=USER_ID, timezone=zone, language="de"))
        day = date(2023 + rng.randrange(2), rng.randint(1, 12), rng.randint(1, 28))
        text = "".join(rng.choices(ALPHABET, k=rng.choice(LENGTHS)))
        entry = Entry(kind=rng.choice(KINDS), local_date=day, data={"text": text, "run": run_no, "n": n})
        await repo.append_entry(USER_ID, entry)
        sys.stdout.write(entry.entry_id + "\n")
        sys.stdout.flush()
        await repo.save_draft(USER_ID, {"run": run_no, "n": n, "text": text})
        sys.stdout.write(f"draft {run_no} {n}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
