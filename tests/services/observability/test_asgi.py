"""The FastStream services' /ready body is JSON whatever a reason holds."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from services.observability.asgi import readiness_body


@given(st.lists(st.text(), max_size=4))
def test_readiness_is_json_whatever_the_reasons_say(reasons: list[str]) -> None:
    body = orjson.loads(readiness_body(reasons))
    assert body == ({"status": "not ready", "reasons": reasons} if reasons
                    else {"status": "ready"})


def test_a_reason_quoting_a_path_stays_json() -> None:
    reason = 'SILTA_KAFKA_SSL_CAFILE "/run/secrets/ca.pem" does not verify the broker'
    assert orjson.loads(readiness_body([reason]))["reasons"] == [reason]
