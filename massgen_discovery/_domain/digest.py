"""Digests without loading OpenSSL on a lookup: SHA-256 (keys, fingerprints), BLAKE2b (parts, listings).

SHA-256 names cache keys and fingerprints credentials; BLAKE2b, fast on megabytes, names stored
parts and listings. ``hashlib`` loads OpenSSL, about 3 ms of a cold lookup; CPython's own SHA-256 module
(``_sha2``, ``_sha256`` before 3.12) loads in a fraction of that and gives the same digest, and its
own BLAKE2 module is built in.
"""

from __future__ import annotations

import importlib
from _blake2 import blake2b
from collections.abc import Callable
from typing import Any

__all__ = ["blake2b_hex", "sha256_hex"]


def _load() -> Callable[[bytes], Any]:
    for name in ("_sha2", "_sha256"):
        try:
            make: Callable[[bytes], Any] = importlib.import_module(name).sha256
            return make
        except (ImportError, AttributeError):
            continue
    from hashlib import sha256

    return sha256


_SHA256 = _load()


def sha256_hex(data: bytes | str) -> str:
    """The SHA-256 of ``data`` (text is UTF-8), as hex."""
    return str(_SHA256(data.encode() if isinstance(data, str) else data).hexdigest())


def blake2b_hex(data: bytes | str, size: int = 32) -> str:
    """The BLAKE2b of ``data`` (text is UTF-8) in ``size`` bytes, as hex."""
    return blake2b(data.encode() if isinstance(data, str) else data, digest_size=size).hexdigest()
