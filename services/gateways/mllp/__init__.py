"""HL7 v2 over MLLP into Kafka: the hospital-facing edge of Silta.

A sender opens a TCP connection and sends framed ER7 messages (`<VT>msg<FS><CR>`); each
one is answered with an original-mode HL7 ACK:

- AA: the message bytes are in the source's raw topic, confirmed by every in-sync replica
  (`acks=all`). The sender goes on.
- AE: the frame cannot be stored as sent (empty, not HL7: no MSH or bad MSH-2, not
  decodable as MSH-18 says, over the size limit). Resending it unchanged gives AE again.
- AR: Kafka is unavailable or did not confirm within `mllp_send_timeout`. Send it again.

Only what storage needs is checked; translation problems (a bad HETU, an unsupported
trigger) are accepted and the ingest service dead-letters them with the reason.

Modules: framing (MLLP decoder, pure), header (reading MSH), ack (building ACKs), sink
(raw records and the shared producer), connection (per-connection pipeline), server
(`build_server`, MllpGateway), app (ASGI /health /ready /metrics + lifespan), settings,
metrics, errors.
"""

from services.gateways.mllp.server import MllpGateway, build_server
from services.gateways.mllp.settings import MllpSettings

__all__ = ["MllpGateway", "MllpSettings", "build_server"]
