"""Writing files without ever leaving a half-written one (used by every module that writes).

`atomic_write(path, data)` writes to a temporary file in the same folder, flushes it to disk
and renames it over `path`: readers see the old file or the new one, never a truncated mix,
and if anything fails (a full disk, a bad value found late) the old file is left intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_writable(path: str | os.PathLike, force: bool = True) -> Path:
    """Fail early, before long work, if `path` cannot be written: its folder must exist, and
    an existing file is refused unless `force`."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(f"cannot write {path}: folder {path.parent} is not writable")
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; pass --force to overwrite it")
    return path


def atomic_write(path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Replace `path` with `data` (text or bytes) in one step; see the module docstring."""
    path = check_writable(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    if not isinstance(payload, bytes):
        raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
