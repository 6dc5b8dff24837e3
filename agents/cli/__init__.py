"""The `archgym` command line."""
