"""Timeline: contract events in, pseudonymised and minimised TimelineEntries out."""
