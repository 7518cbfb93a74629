"""The TiTok Zoo weight format (`.tzw`, versions 1 to 3) for Python: writer, reader and validator.

One import for users of the format (`import tzw`); the parts live in tzw_layout (constants,
dtypes, conversions), tzw_writer and tzw_reader. `python3 tools/tzw.py FILE...` validates files.
"""

from __future__ import annotations

import json
import math

from tzw_layout import (DTYPE_BY_CODE, DTYPES, ENCODING_NAMES, ENCODINGS, FORMAT_NAME, HEADER_SIZE,  # noqa: F401
                        MAGIC, ORDER_NAMES, ORDERS, READABLE_VERSIONS, VERSION, DType, Header, TableEntry,
                        TZWError, align_up, from_strips16, minimum_version, order_problem, to_strips16,
                        bfloat16_bits_to_float32, encode_metadata, entry_size, float32_to_bfloat16_bits,
                        shuffle_bytes, to_float32, unshuffle_bytes)
from tzw_reader import TZWFile, read_tzw  # noqa: F401
from tzw_writer import TensorSpec, encode_tensor, write_tzw  # noqa: F401

__all__ = ["DTYPE_BY_CODE", "DTYPES", "ENCODING_NAMES", "ENCODINGS", "FORMAT_NAME", "HEADER_SIZE", "MAGIC", "VERSION",
           "ORDERS", "ORDER_NAMES", "READABLE_VERSIONS", "from_strips16", "minimum_version", "order_problem", "to_strips16",
           "DType", "Header", "TableEntry", "TZWError", "TZWFile", "TensorSpec", "align_up", "bfloat16_bits_to_float32",
           "encode_metadata", "encode_tensor", "entry_size", "float32_to_bfloat16_bits", "read_tzw", "shuffle_bytes",
           "to_float32", "unshuffle_bytes", "write_tzw", "main"]


def main(argv: list[str] | None = None) -> int:
    """`python3 tools/tzw.py FILE...`: validates each file fully (structure and every CRC) and
    prints a one-paragraph summary; status 1 with one line per bad file."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="tzw.py", description="Validate and summarise .tzw weight files.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--tensors", action="store_true", help="also list every tensor")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            with TZWFile(path) as f:
                f.verify()
                counts: dict[str, int] = {}
                for e in f.entries:
                    key = f"{e.dtype}/{e.encoding}" + ("" if e.order == "row-major" else f"/{e.order}")
                    counts[key] = counts.get(key, 0) + 1
                params = sum(math.prod(e.shape) for e in f.entries)
                print(f"{path}: ok")
                print(f"  {f.metadata['family']} {f.metadata['variant']}, {len(f.entries)} tensors, "
                      f"{params / 1e6:.2f} M elements, alignment {f.header.alignment}, "
                      + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
                print(f"  config {json.dumps(f.metadata['config'], sort_keys=True)}")
                if args.tensors:
                    for e in f.entries:
                        print(f"  {e.name} {e.dtype} {list(e.shape)} {e.encoding} {e.order} {e.stored_length} bytes")
        except (TZWError, OSError) as e:
            print(f"{path}: error: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
