"""The one content digest: a sha256 hex prefix of bytes, or of JSON-able data written
canonically (sorted keys; anything JSON cannot hold by its ``str``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

CHARS = 12


def digest(value: bytes | Any, chars: int = CHARS) -> str:
    """The first ``chars`` hex digits of the sha256 of ``value`` (bytes as they are, anything
    else as canonical JSON)."""
    if not isinstance(value, bytes):
        value = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.sha256(value).hexdigest()[:chars]
