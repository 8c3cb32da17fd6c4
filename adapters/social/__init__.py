"""The social-care adapter: Silta's social-care record event (v1) → contract events.

See README.md in this package for the format a client information system sends.
"""

from adapters.social.translate import ADAPTER_VERSION, translate

__all__ = ["ADAPTER_VERSION", "translate"]
