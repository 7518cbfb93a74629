"""Types shared by the checkpoint readers and the converter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


class ConversionError(Exception):
    """A user-facing problem with the input (bad file, unsafe pickle, config that contradicts the
    weights...). The converter prints its message as one line and exits with status 1."""


@dataclass
class SourceTensor:
    """A tensor of a source checkpoint, read lazily.

    `dtype` is a .tzw dtype name ("f32", "f16", "bf16", "f64", "i32", "i64", "u8") or, for element
    types the format cannot hold, the source's own name (e.g. "int16"); `load()` returns a
    C-contiguous numpy array of the storage type (bf16 as uint16 bit patterns)."""
    name: str
    dtype: str
    shape: tuple[int, ...]
    load: Callable[[], np.ndarray]

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n
