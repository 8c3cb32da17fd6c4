"""Pure translators: bytes in, contract events or a typed TranslationError out; no I/O."""
