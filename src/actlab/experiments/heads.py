"""Placeholder: the heads experiment is being written."""
