"""The pseudonymiser's hand-made HMAC (pads computed once) against the standard library's."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from services.pseudonyms import Pseudonymiser


@given(st.binary(min_size=32, max_size=200), st.lists(st.text(), min_size=1, max_size=4))
def test_every_digest_is_hmac_sha256_of_the_joined_parts(key: bytes, parts: list[str]) -> None:
    pseudonymiser = Pseudonymiser(key, "k1")
    expected = hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]
    assert pseudonymiser.opaque(*parts) == expected
    assert pseudonymiser.opaque(*parts) == expected  # the pads are copied, never used up
