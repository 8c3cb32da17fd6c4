"""HL7 v2 over MLLP into Kafka: the hospital-facing edge of Silta.

A sender opens a TCP connection and sends framed ER7 messages (`<VT>msg<FS><CR>`); each
one is answered with an original-mode HL7 ACK:

- AA: the message translated (the source's adapter, run before answering) and its bytes
  are in the source's raw topic, confirmed by every in-sync replica (`acks=all`).
- AE: the message cannot be accepted as sent (not HL7, a required MSH field missing, or
  what the adapter refuses), with ERR segments saying where and why; its bytes are on the
  dead-letter topic with the same reason. Resending it unchanged gives AE again.
- AR: Kafka is unavailable or did not confirm within `mllp_send_timeout`. Send it again.

`mllp_ack_after=storage` keeps store-and-forward for senders that cannot handle AE: AA
once stored, and the ingest service dead-letters what does not translate.

Modules: framing (MLLP decoder, pure), header (reading MSH), validation (what is checked
before answering, pure), ack (building ACKs), records (raw records, dead letters, Kafka's
answer as the sender's), pending (a message on its way to its ACK), connection
(per-connection pipeline), server (`build_server`, MllpGateway), app (ASGI /health /ready
/metrics + lifespan), settings, metrics, errors. Kafka is reached through the producer both
gateways share (services/gateways/producer.py).
"""

from services.gateways.mllp.server import MllpGateway, build_server
from services.gateways.mllp.settings import MllpSettings

__all__ = ["MllpGateway", "MllpSettings", "build_server"]
