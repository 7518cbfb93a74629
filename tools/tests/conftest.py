"""Converter tests: import path for tools/ and this folder, and an in-process CLI runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture
def convert(capsys):
    """Runs convert_checkpoint.main(argv) in-process; returns (exit code, stdout, stderr)."""
    import convert_checkpoint

    def run(*argv):
        code = convert_checkpoint.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
