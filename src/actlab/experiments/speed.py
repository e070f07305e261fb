"""Placeholder: the speed experiment is being written."""
