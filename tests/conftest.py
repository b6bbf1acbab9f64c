from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    """The repository root."""
    return ROOT


def pytest_configure(config):
    """One torch thread for every test, as in the lectures: fast and repeatable under load."""
    import torch

    torch.set_num_threads(1)
