"""One call at the top of every lecture makes its run repeatable."""
import random

import numpy as np


def setup(seed: int = 0, threads: int = 1, style: bool = True) -> np.random.Generator:
    """Seed Python, numpy and torch, pin torch's CPU threads and apply the course plot style.

    Returns a fresh ``np.random.default_rng(seed)``: lectures draw all their numpy randomness from
    it, so a cell's numbers depend only on the seed and on the cells above it.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    random.seed(seed)
    import torch

    torch.manual_seed(seed)
    # Float sums depend on how work is split between threads; one split keeps every digit stable.
    torch.set_num_threads(threads)
    if style:
        from .plotting import use_course_style

        use_course_style()
    return np.random.default_rng(seed)
