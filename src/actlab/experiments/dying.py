"""Placeholder: the dying experiment is being written."""
