"""Input checks and conversions for the Model methods: shapes, dtypes, contiguity, PIL images."""

from __future__ import annotations

import numpy as np

from .errors import InvalidArgumentError


def _is_pil_image(obj) -> bool:
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(obj, Image.Image)


def _pil_to_array(image, resolution: int) -> np.ndarray:
    if image.size != (resolution, resolution):
        raise InvalidArgumentError(
            f"PIL image is {image.size[0]}x{image.size[1]}; the model needs {resolution}x{resolution} "
            "(resize and crop it first, or use titok.load_image)")
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def images_u8(images, resolution: int) -> np.ndarray:
    """uint8 [B,R,R,3] or [R,R,3] array, PIL image, or a list of those -> contiguous uint8 [B,R,R,3]."""
    if _is_pil_image(images):
        images = _pil_to_array(images, resolution)
    elif isinstance(images, (list, tuple)):
        if not images:
            raise InvalidArgumentError("no images given (empty list)")
        parts = [_pil_to_array(i, resolution) if _is_pil_image(i) else images_u8(i, resolution) for i in images]
        return np.ascontiguousarray(np.concatenate([p.reshape((-1,) + p.shape[-3:]) for p in parts]))
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise InvalidArgumentError(
            f"images must be uint8 (got {array.dtype}); for float pixels in [0,1] use encode_latents")
    if array.ndim == 3:
        array = array[None]
    expected = (resolution, resolution, 3)
    if array.ndim != 4 or array.shape[1:] != expected:
        raise InvalidArgumentError(f"images must have shape [B,{resolution},{resolution},3] or "
                                   f"[{resolution},{resolution},3] (RGB, interleaved); got {list(np.shape(images))}")
    return _nonempty(np.ascontiguousarray(array))


def tokens_i32(tokens, num_tokens: int, codebook_size: int) -> np.ndarray:
    """Integer [B,N] or [N] token ids -> contiguous int32 [B,N], range-checked."""
    array = np.asarray(tokens)
    if not np.issubdtype(array.dtype, np.integer):
        raise InvalidArgumentError(f"tokens must be integers (got {array.dtype})")
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != num_tokens:
        raise InvalidArgumentError(f"tokens must have shape [B,{num_tokens}] or [{num_tokens}]; got {list(np.shape(tokens))}")
    _nonempty(array)
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= codebook_size:
        bad = low if low < 0 else high
        raise InvalidArgumentError(f"token {bad} is outside the codebook 0..{codebook_size - 1}")
    return np.ascontiguousarray(array, dtype=np.int32)


def floats(values, trailing: tuple[int, ...], what: str) -> np.ndarray:
    """Real [B,*trailing] or [*trailing] -> contiguous float32 [B,*trailing]."""
    array = np.asarray(values)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise InvalidArgumentError(f"{what} must be real numbers (got {array.dtype})")
    if array.ndim == len(trailing):
        array = array[None]
    if array.ndim != len(trailing) + 1 or array.shape[1:] != trailing:
        shape = ",".join(str(d) for d in trailing)
        raise InvalidArgumentError(f"{what} must have shape [B,{shape}] or [{shape}]; got {list(np.shape(values))}")
    return _nonempty(np.ascontiguousarray(array, dtype=np.float32))


def _nonempty(array: np.ndarray) -> np.ndarray:
    if array.shape[0] == 0:
        raise InvalidArgumentError("batch is empty (0 images)")
    return array
