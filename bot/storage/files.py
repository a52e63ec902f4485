"""Durable file primitives: private modes, atomic replacement, directory fsyncs, markers.

Why not stock TinyDB's `JSONStorage`: it rewrites one file in place (a kill mid-write leaves
it unparsable) and creates it world-readable. Here every file is replaced atomically (temp
file, fsync, rename, fsync directory) and only the owner may read it.

Other storage modules call these as `files.atomic_write(...)`, so a test can replace one
function here to simulate a failing disk everywhere.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


class CorruptFileError(Exception):
    """A file that cannot be trusted. The message describes why, never the content."""


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new, renamed or removed names) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """Create `path` and missing parents as 0700, fsyncing each new directory's parent."""
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            pass  # created concurrently (another user in the same shard): still fsync below
        else:
            os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
        fsync_dir(directory.parent)


def remove_tree(path: str) -> None:
    """`shutil.rmtree` that tolerates another thread removing the same tree concurrently."""
    for _ in range(5):
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            if not os.path.lexists(path):
                return
        else:
            return
    shutil.rmtree(path)


def atomic_write(directory: Path, filename: str, payload: bytes) -> None:
    """Replace `directory/filename` with `payload` so readers see old or new, never a mix.

    The caller fsyncs the directory afterwards to make the rename itself durable.
    """
    tmp = directory / f".{filename}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, directory / filename)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_durably(path: Path, payload: bytes) -> None:
    """Append `payload` to an existing file and fsync it: durable on return, and no directory fsync
    is needed (no name changed). A failure can leave part of `payload` at the end."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        _write_all(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)


def truncate_durably(path: Path, size: int) -> None:
    """Cut a file to `size` bytes and fsync it (an interrupted append's tail)."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(directory: Path, filename: str, payload: bytes) -> None:
    """`atomic_write`, then fsync the directory: durable on return."""
    atomic_write(directory, filename, payload)
    fsync_dir(directory)


def is_temp_file(name: str) -> bool:
    """A temp file `atomic_write` left behind when interrupted."""
    return name.startswith(".") and name.endswith(".tmp")


def create_marker(directory: Path, name: str) -> None:
    """Durably create the empty file `directory/name` (0600); no-op if it exists.

    If the directory fsync fails the new marker is removed again, so a failed call leaves
    nothing behind.
    """
    marker = directory / name
    if os.path.lexists(marker):
        return
    make_dirs(directory)
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # os.open's mode is filtered by the umask
    finally:
        os.close(fd)
    try:
        fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(marker)
        raise


def remove_marker(directory: Path, name: str, *, durable: bool) -> None:
    """Remove a marker if present; `durable` also fsyncs the directory."""
    try:
        os.unlink(directory / name)
    except FileNotFoundError:
        return
    if durable:
        fsync_dir(directory)


def marked(directory: Path) -> list[int]:
    """The user ids marked in a marker directory, sorted (none if it does not exist)."""
    try:
        with os.scandir(directory) as items:
            return sorted(int(item.name) for item in items if item.name.isdigit())
    except FileNotFoundError:
        return []


def remove_dir(directory: Path) -> None:
    """Rename `directory` away (atomic, durable) and delete it, finishing deletions a crash interrupted.

    Everything in the parent directory named `*.deleting` is such an interrupted deletion.
    """
    parent = directory.parent
    if os.path.lexists(directory):
        os.replace(directory, parent / f".{directory.name}.{secrets.token_hex(6)}.deleting")
        fsync_dir(parent)
    with os.scandir(parent) as items:
        doomed = [item.path for item in items if item.name.endswith(".deleting")]
    for path in doomed:
        remove_tree(path)
    if doomed:
        fsync_dir(parent)
