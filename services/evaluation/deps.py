"""The optional engine behind the evaluator's tools, imported with an error that says how
to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

from services.errors import ConfigError


def require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"{module} is not installed: the evaluation tools need the "
                          "'evaluation' extra (pip install 'sote-silta[evaluation]')") from None
