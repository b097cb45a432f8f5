"""Widgets of the review app: the finding queue, the finding's context, the status line."""
