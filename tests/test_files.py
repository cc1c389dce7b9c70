"""minimem.files.atomic_write: a failed write never truncates the file it replaces."""

import subprocess
import sys
import textwrap

import pytest

from minimem import files


def test_writes_text_and_bytes_and_keeps_the_mode(tmp_path):
    path = tmp_path / "a.txt"
    files.atomic_write(path, "héllo")
    assert path.read_text(encoding="utf-8") == "héllo"
    path.chmod(0o640)
    files.atomic_write(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01" and (path.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_full_disk_leaves_the_old_file_intact(tmp_path):
    """A file-size limit makes the write fail part-way, as a full disk would."""
    path = tmp_path / "precious.txt"
    path.write_text("the learner's work\n")
    script = textwrap.dedent(f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        from minimem import files
        files.atomic_write({str(path)!r}, "x" * 100_000)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode != 0 and "File too large" in result.stderr
    assert path.read_text() == "the learner's work\n"
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]  # no temporary file left


def test_check_writable_fails_early_and_clearly(tmp_path):
    (tmp_path / "old.json").write_text("{}")
    with pytest.raises(FileExistsError, match="old.json already exists; pass --force"):
        files.check_writable(tmp_path / "old.json", force=False)
    assert files.check_writable(tmp_path / "old.json", force=True)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        files.check_writable(tmp_path / "missing" / "x.json")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        files.check_writable(tmp_path)
    with pytest.raises(TypeError, match="str or bytes"):
        files.atomic_write(tmp_path / "y", 3)
