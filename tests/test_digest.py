"""The one digest gives the values the stored fingerprints were made with (resume keys, input
digests and evaluator identities stay valid across the change)."""

from pathlib import Path

from wmbench.core.digest import digest
from wmbench.harness.store import fingerprint


def test_known_answers():
    assert digest(b"abc") == "ba7816bf8f01"  # sha256("abc"), FIPS 180-2's example
    # canonical JSON: sorted keys, json.dumps' separators, str() for what JSON cannot hold
    assert digest({"b": 1, "a": [1, 2]}) == digest(b'{"a": [1, 2], "b": 1}')
    assert digest({"p": Path("x")}, 8) == digest(b'{"p": "x"}')[:8]
    assert fingerprint is digest
