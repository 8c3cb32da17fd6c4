"""The `silta` command line."""
