"""The numpy arrays the demo is drawn in (a row a client, a holding or an event), and the sorting its event
tables share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Flags = NDArray[np.bool_]


def unique_rows(keys: Sequence[Ints]) -> Ints:
    """Row order sorted by keys (first key first), keeping one row per distinct key tuple."""
    order = np.lexsort(tuple(reversed(keys)))
    differs = np.zeros(order.size, dtype=bool)
    differs[:1] = True
    for key in keys:
        ordered = key[order]
        differs[1:] |= ordered[1:] != ordered[:-1]
    return order[differs]
