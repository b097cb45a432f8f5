"""The review TUI (`cleaner review`): the only package that imports textual."""
