"""Element conversion of source tensors to the .tzw dtype asked for (floats only; integer
tensors keep their type), as lazy writer specs."""

from __future__ import annotations

from typing import Callable

import numpy as np

import tzw
from checkpoint_types import ConversionError, SourceTensor


def _target(tensor: SourceTensor, dtype: str) -> str:
    if tensor.dtype in ("f32", "f16", "bf16", "f64"):
        return dtype
    if tensor.dtype in tzw.DTYPES:
        return tensor.dtype
    raise ConversionError(f"tensor {tensor.name} has element type {tensor.dtype}, which .tzw cannot store")


def convert_array(array: np.ndarray, source: str, target: str) -> np.ndarray:
    """Converts a source tensor's elements to the target .tzw dtype (floats only; ints pass)."""
    if source == target:
        return array
    with np.errstate(over="ignore"):  # overflow to infinity is counted and reported by the caller
        if target == "f16" and source == "f64":
            return array.astype("<f2")  # one rounding, straight from double
        values = tzw.to_float32(array, source)
        if target == "f16":
            return values.astype("<f2")
    if target == "f32":
        return values
    if target == "bf16":
        return tzw.float32_to_bfloat16_bits(values)
    raise ConversionError(f"cannot convert {source} to {target}")


def tensor_specs(tensors: list[SourceTensor], dtype: str, encoding: str, warnings: list[str],
                 strips: Callable[[str], bool] = lambda name: False) -> list[tzw.TensorSpec]:
    """Writer specs converting each tensor when it is written; f16 overflows are added to `warnings`.
    Tensors named by `strips` are stored as strips16 where that order can hold them (raw f32, f16
    or bf16 matrices with a multiple of 16 rows), row-major otherwise."""
    specs = []
    for t in tensors:
        target = _target(t, dtype)
        order = "strips16" if strips(t.name) and tzw.order_problem("strips16", tuple(t.shape), target, encoding) is None \
            else "row-major"

        def load(t=t, target=target):
            array = t.load()
            out = convert_array(array, t.dtype, target)
            if target == "f16" and t.dtype != "f16":
                overflow = int(np.count_nonzero(np.isinf(out) & np.isfinite(tzw.to_float32(array, t.dtype))))
                if overflow:
                    warnings.append(f"{overflow} value(s) of {t.name} exceed the f16 range and became infinite")
            return out

        specs.append(tzw.TensorSpec(t.name, target, tuple(t.shape), load, encoding, order))
    return specs
