"""The default rule packs (YAML); installed as the package `cleaner._rules`."""
