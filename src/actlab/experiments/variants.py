"""Placeholder: the variants experiment is being written."""
