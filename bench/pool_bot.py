"""Run the bot with another Bot API connection pool size: `python bench/pool_bot.py SIZE [bot args]`.

Used by bench/http_pool.py to compare pool sizes side by side in one run.
"""

from __future__ import annotations

import sys

import bot.app
from bot.__main__ import main

if __name__ == "__main__":
    bot.app.CONNECTION_POOL_SIZE = int(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
