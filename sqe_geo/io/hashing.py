"""The one hasher of sqe-geo: SHA-256 of files (downloads, graph cache keys) and of bytes
(the export manifest)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Return the SHA-256 (hex) of a file, read in chunks.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     p = Path(folder, "a.txt"); _ = p.write_bytes(b"abc")
    ...     file_sha256(p) == sha256_hex(b"abc")
    True
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 (hex) of ``data``.

    >>> sha256_hex(b"abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(data).hexdigest()
