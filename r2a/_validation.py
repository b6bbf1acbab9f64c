"""Argument checks shared by the model and experiment modules, so each error message is written once.

Private: lectures never call these; they see the ``ValueError`` they raise.
"""
import numpy as np


def check_positive_int(**values):
    """Raise ``ValueError`` naming the first argument that is not a positive integer (``True`` is not one)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_choice(name, value, choices):
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
