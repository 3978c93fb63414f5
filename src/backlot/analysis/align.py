"""Dynamic time warping: the cheapest monotone path through a cost matrix."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]
Path = NDArray[np.int64]  # rows of (reference frame, attempt frame)


def distances(a: Matrix, b: Matrix) -> Matrix:
    """Euclidean distance between every row of `a` and every row of `b`."""
    squared = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.asarray(np.sqrt(np.clip(squared, 0, None)), dtype=np.float64)


def dtw(cost: Matrix) -> tuple[float, Path]:
    """(mean cost along the path, the path), steps (1,0), (0,1), (1,1).

    Filled one anti-diagonal at a time: every cell of a diagonal depends only on the two
    before it, so each diagonal is one vectorised step (n + m steps, not n * m).
    """
    n, m = cost.shape
    total = np.full((n + 1, m + 1), np.inf)
    total[0, 0] = 0.0
    for diagonal in range(2, n + m + 1):
        i = np.arange(max(1, diagonal - m), min(n, diagonal - 1) + 1)
        j = diagonal - i
        best = np.minimum(np.minimum(total[i - 1, j], total[i, j - 1]), total[i - 1, j - 1])
        total[i, j] = cost[i - 1, j - 1] + best
    path = [(n - 1, m - 1)]
    i, j = n, m
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min(steps, key=lambda step: total[step])
        path.append((i - 1, j - 1))
    path.reverse()
    walked = np.asarray(path, dtype=np.int64)
    return float(cost[walked[:, 0], walked[:, 1]].mean()), walked
