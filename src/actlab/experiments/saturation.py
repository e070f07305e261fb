"""Placeholder: the saturation experiment is being written."""
