"""The README's Python example runs as written (with the fixture model it converts)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_python_example(model_paths, tmp_path):
    readme = (REPO / "README.md").read_text()
    match = re.search(r"<!-- example: python -->\n```python\n(.*?)```", readme, re.S)
    assert match, "README.md lacks the Python example"
    code = match.group(1)
    assert '"/tmp/tiny.tzw"' in code
    model = tmp_path / "tiny.tzw"
    shutil.copy(model_paths["legacy"], model)
    script = tmp_path / "example.py"
    script.write_text(code.replace("/tmp/tiny.tzw", str(model)))
    run = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "tiny_legacy_vq_r64_t32 (1, 32) (1, 64, 64, 3)"
