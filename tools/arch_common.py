"""Helpers shared by the TiTok and MaskGIT architecture checks: reading the reference config,
counting layers in a state dict, comparing a state dict with the expected tensor shapes."""

from __future__ import annotations

import re
from typing import Any, Mapping

from checkpoint_types import ConversionError

Shapes = Mapping[str, tuple]

_INTERPOLATION = re.compile(r"^\$\{([A-Za-z0-9_.]+)\}$")


class ConfigView:
    """A section of the reference training config (`model.vq_model`, `model.generator`) with
    typed getters whose errors name the full key. Resolves OmegaConf `${a.b.c}` references."""

    def __init__(self, root: Mapping[str, Any], path: str):
        self.root, self.path = root, path
        section = lookup(root, path)
        if section is None:
            raise ConversionError(f"config has no {path} section")
        if not isinstance(section, Mapping):
            raise ConversionError(f"config {path} is not an object")
        self.section = section

    def has(self, key: str) -> bool:
        return self.section.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.section.get(key, default)
        for _ in range(8):
            match = _INTERPOLATION.match(value) if isinstance(value, str) else None
            if not match:
                break
            value = lookup(self.root, match.group(1))
        return default if value is None else value

    def int(self, key: str, default: Any = None) -> Any:
        value = self.raw(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ConversionError(f"config {self.path}.{key} is {value!r}, not an integer")
        return int(value)

    def float(self, key: str, default: Any = None) -> Any:
        value = self.raw(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConversionError(f"config {self.path}.{key} is {value!r}, not a number")
        return float(value)

    def bool(self, key: str, default: Any = None) -> Any:
        value = self.raw(key, default)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ConversionError(f"config {self.path}.{key} is {value!r}, not true/false")

    def str(self, key: str, default: Any = None) -> Any:
        value = self.raw(key, default)
        if value is None or isinstance(value, str):
            return value
        raise ConversionError(f"config {self.path}.{key} is {value!r}, not a string")


def lookup(root: Mapping[str, Any], dotted: str) -> Any:
    node: Any = root
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def crop_size(root: Mapping[str, Any]) -> int | None:
    """`dataset.preprocessing.crop_size`, the model's resolution R, if the config gives it."""
    value = lookup(root, "dataset.preprocessing.crop_size")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConversionError(f"config dataset.preprocessing.crop_size is {value!r}, not an integer")
    return value


def count_layers(shapes: Shapes, prefix: str) -> int:
    """How many numbered blocks `<prefix><i>.` the state dict holds (the highest index + 1)."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    indices = [int(m.group(1)) for key in shapes if (m := pattern.match(key))]
    return max(indices) + 1 if indices else 0


def dim(shapes: Shapes, key: str, axis: int) -> int | None:
    """One dimension of a tensor, or None when the tensor is absent or too small (the later
    tensor-set check reports that)."""
    shape = shapes.get(key)
    if shape is None or len(shape) <= axis:
        return None
    return shape[axis]


def _listing(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


def check_tensor_set(expected: Mapping[str, tuple], shapes: Shapes, what: str) -> None:
    """The checkpoint must hold exactly the expected tensors, with exactly the expected shapes."""
    missing = [k for k in expected if k not in shapes]
    if missing:
        raise ConversionError(f"checkpoint lacks {len(missing)} tensor(s) that {what} needs: {_listing(missing)}")
    unexpected = [k for k in shapes if k not in expected]
    if unexpected:
        raise ConversionError(f"checkpoint has {len(unexpected)} tensor(s) that {what} does not use: "
                              f"{_listing(unexpected)}")
    for key, shape in expected.items():
        if tuple(shapes[key]) != tuple(shape):
            raise ConversionError(f"tensor {key} has shape {list(shapes[key])}, {what} needs {list(shape)}")
