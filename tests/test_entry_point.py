"""`python -m bot` imports with the cyclic collector off, then freezes what it imported and turns it on."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, runpy, sys
sys.argv = ["bot", "--version"]
try:
    runpy.run_module("bot", run_name="__main__")
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count() > 10_000)
"""


def test_running_the_module_freezes_the_imports_and_collects_again() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["True", "True"]


def test_importing_the_entry_point_leaves_the_collector_alone() -> None:
    probe = "import gc, bot.__main__; print(gc.isenabled(), gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "0"]
