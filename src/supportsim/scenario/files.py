"""The loading gate: every file the program reads comes through here.

Only regular files are read (symlinks are resolved, then checked): never a device, a FIFO, a
socket or a folder, which could hang or never end. A file over its size limit is refused
before it is read. Text is UTF-8, with or without a byte-order mark; anything else is
refused naming the line of the first bad byte.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path


class FileRefused(ValueError):
    """A file the gate will not read; ``path`` names it and ``reason`` says why."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _size_text(limit: int) -> str:
    return f"{limit / 1e6:g} MB" if limit >= 1_000_000 else f"{limit / 1e3:g} kB"


def regular_file(path: str | Path, *, limit: int, what: str) -> Path:
    """``path`` resolved, if it is a regular file of at most ``limit`` bytes; else :class:`FileRefused`.

    ``what`` names the kind of file in messages ("scenario file", "log").
    """
    path = Path(path)
    try:
        resolved = path.resolve(strict=True)
        info = resolved.stat()
    except FileNotFoundError:
        raise FileRefused(path, "no such file") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise FileRefused(path, f"cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused(path, f"is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, f"is not a regular file (a device, FIFO or socket); a {what} must be a file")
    if info.st_size > limit:
        raise FileRefused(path, f"is {_size_text(info.st_size)}; a {what} is limited to {_size_text(limit)}")
    return resolved


def _open_regular(resolved: Path, path: Path, what: str) -> int:
    """Open without blocking (a file swapped for a FIFO after the check must not hang us)."""
    try:
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileRefused(path, f"cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileRefused(path, f"is not a regular file; a {what} must be a file")
    return fd


def _not_utf8(path: Path, line: int) -> FileRefused:
    return FileRefused(path, f"line {line}: not UTF-8 text (save the file as UTF-8)")


def read_text(path: str | Path, *, limit: int, what: str) -> str:
    """The text of a regular file of at most ``limit`` bytes, decoded as UTF-8 (a BOM is dropped)."""
    path = Path(path)
    resolved = regular_file(path, limit=limit, what=what)
    fd = _open_regular(resolved, path, what)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(path, f"grew past {_size_text(limit)} while being read; a {what} is limited to that")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data.count(b"\n", 0, exc.start) + 1) from None


def check_text_file(path: str | Path, *, limit: int, what: str, chunk_bytes: int = 1 << 20) -> Path:
    """Check a (possibly large) file without holding it: regular, at most ``limit`` bytes,
    UTF-8 throughout (read in chunks of ``chunk_bytes``). Returns the resolved path.
    """
    path = Path(path)
    resolved = regular_file(path, limit=limit, what=what)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    fd = _open_regular(resolved, path, what)
    with os.fdopen(fd, "rb") as handle:
        read = 0
        while chunk := handle.read(chunk_bytes):
            read += len(chunk)
            if read > limit:
                raise FileRefused(path, f"grew past {_size_text(limit)} while being read")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, line + chunk.count(b"\n", 0, max(exc.start, 0))) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _not_utf8(path, line) from None
    return resolved
