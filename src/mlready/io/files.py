"""Writing outputs so that a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from mlready.errors import MlreadyError


def _umask() -> int:
    """The process's umask: from /proc where Linux shows it, else by setting it and setting
    it straight back (the only portable way to read it)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(fd: int) -> None:
    """Give a temporary file from mkstemp (always 0600) the mode an ordinary new file gets
    under the umask, so that the renamed output is as readable as the user expects."""
    os.fchmod(fd, 0o666 & ~_umask())


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    folder = path.parent
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        new_file_mode(fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise MlreadyError(f"cannot write {path}: {exc.strerror}") from None
        raise


def write_all_atomic(files: Mapping[Path, bytes]) -> None:
    """Write every file or none: each goes to a temporary file beside its target first,
    and only when all of them are written are they renamed into place (an unwritable
    folder, a full disk or an interrupt leaves no new file behind)."""
    written: list[tuple[str, Path]] = []
    made: list[Path] = []  # folders this call created, removed again on failure
    try:
        for path, data in files.items():
            missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made.append(folder)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            written.append((tmp, path))
            new_file_mode(fd)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException as exc:
        for tmp, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            where = exc.filename or "an output"
            raise MlreadyError(
                f"cannot write {where}: {exc.strerror}", hint="no output was written"
            ) from None
        raise
    for tmp, path in written:
        os.replace(tmp, path)


def refuse_overwriting_inputs(
    outputs: Mapping[str, Path | None], inputs: Iterable[tuple[str, Path]]
) -> None:
    """Raise MlreadyError (exit 2) when an output, by its option name, is one of the
    ``inputs`` (a description and a path; a folder stands for every file in it)."""
    read: dict[Path, str] = {}
    for what, path in inputs:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        read.update({file.resolve(): what for file in files})
    for option, output in outputs.items():
        if output is not None and output.resolve() in read:
            raise MlreadyError(
                f"{option} {output} is {read[output.resolve()]}: mlready never overwrites "
                "what it reads",
                hint=f"give {option} another path",
            )


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
