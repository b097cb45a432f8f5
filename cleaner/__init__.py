"""cleaner: find and fix boilerplate, broken unicode, typography and name inconsistencies in news corpora."""

__version__ = "0.1.0"
