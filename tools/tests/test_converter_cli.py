"""The command line: help, output naming and overwrite rules, one-line errors with status 1."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import tzw
from converter_paths import TOOLS, fixture_dir

CASE = "tiny_vae_r64_t32"


def test_help_explains_inputs_and_options():
    result = subprocess.run([sys.executable, str(TOOLS / "convert_checkpoint.py"), "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for text in ("--config", "--models-dir", "--dtype", "--compress", "--shuffle", "--variant", "--force",
                 "--from-hub", "WITHOUT torch", "<Variant>-<R>.tzw"):
        assert text in result.stdout, text


def test_script_reports_errors_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, str(TOOLS / "convert_checkpoint.py"), str(tmp_path / "nope")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"convert_checkpoint: error: {tmp_path / 'nope'}: no such file or folder"]


def test_existing_output_needs_force(tmp_path, convert):
    out = tmp_path / "m.tzw"
    out.write_bytes(b"keep me")
    code, _, err = convert(fixture_dir(CASE), "--out", out)
    assert code == 1 and "exists (use --force to overwrite)" in err
    assert out.read_bytes() == b"keep me"
    code, _, err = convert(fixture_dir(CASE), "--out", out, "--force")
    assert code == 0, err
    with tzw.TZWFile(out) as f:
        assert f.metadata["family"] == "titok"


def test_default_folder_is_the_search_path(tmp_path, convert, monkeypatch):
    monkeypatch.setenv("TITOK_MODELS", str(tmp_path / "models"))
    code, out, err = convert(fixture_dir(CASE), "--quiet")
    assert code == 0, err
    assert out == "" and err == ""
    assert (tmp_path / "models" / f"custom-{CASE}-64.tzw").exists()
    monkeypatch.delenv("TITOK_MODELS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert convert(fixture_dir(CASE), "--quiet")[0] == 0
    assert (tmp_path / "cache" / "titok" / f"custom-{CASE}-64.tzw").exists()


def test_check_writes_nothing(tmp_path, convert):
    code, out, _ = convert(fixture_dir(CASE), "--check", "--models-dir", tmp_path)
    assert code == 0 and out.startswith(f"ok: custom-{CASE} (titok vae, 64x64, 32 tokens), 74 tensors")
    assert list(tmp_path.iterdir()) == []


def test_safetensors_file_finds_config_beside_it(tmp_path, convert):
    code, _, err = convert(fixture_dir(CASE) / "model.safetensors", "--out", tmp_path / "m.tzw")
    assert code == 0 and "using the config beside the checkpoint" in err


def test_file_without_config_is_refused(tmp_path, convert):
    shutil.copy(fixture_dir(CASE) / "model.safetensors", tmp_path / "weights.safetensors")
    code, _, err = convert(tmp_path / "weights.safetensors", "--out", tmp_path / "m.tzw")
    assert code == 1 and "needs its config: pass --config FILE" in err


@pytest.mark.parametrize("argv, message", [
    (["--shuffle", "--compress", "none"], "--shuffle needs zlib compression"),
    (["--config", "/nonexistent/config.json"], "cannot read config /nonexistent/config.json"),
])
def test_bad_option_combinations(tmp_path, convert, argv, message):
    code, _, err = convert(fixture_dir(CASE), "--out", tmp_path / "m.tzw", *argv)
    assert code == 1 and message in err


def test_bad_json_config_is_refused(tmp_path, convert):
    (tmp_path / "config.json").write_text("{not json")
    code, _, err = convert(fixture_dir(CASE) / "model.safetensors", "--config", tmp_path / "config.json",
                           "--out", tmp_path / "m.tzw")
    assert code == 1 and "config config.json is not valid JSON" in err


def test_truncated_safetensors_is_refused(tmp_path, convert):
    folder = tmp_path / "case"
    folder.mkdir()
    shutil.copy(fixture_dir(CASE) / "config.json", folder / "config.json")
    data = (fixture_dir(CASE) / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) - 100])
    code, _, err = convert(folder, "--out", tmp_path / "m.tzw")
    assert code == 1 and "runs past the end of the file (truncated?)" in err


def test_not_a_checkpoint_is_refused(tmp_path, convert):
    folder = tmp_path / "case"
    folder.mkdir()
    shutil.copy(fixture_dir(CASE) / "config.json", folder / "config.json")
    (folder / "model.safetensors").write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00hello")
    code, _, err = convert(folder, "--out", tmp_path / "m.tzw")
    assert code == 1 and "header" in err


def test_from_hub_without_the_package_says_so(tmp_path, convert, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    code, _, err = convert("--from-hub", "yucornetto/tokenizer_titok_l32_imagenet", "--out", tmp_path / "m.tzw")
    assert code == 1 and "--from-hub needs the huggingface_hub package" in err


def test_from_hub_uses_snapshot_download(tmp_path, convert, monkeypatch):
    """An offline stand-in for huggingface_hub: the converter asks for safetensors + config first."""
    import types
    calls = []

    def snapshot_download(repo_id, allow_patterns):
        calls.append((repo_id, allow_patterns))
        folder = tmp_path / "snapshot"
        if not folder.exists():
            folder.mkdir()
            for name in ("config.json", "model.safetensors"):
                shutil.copy(fixture_dir(CASE) / name, folder / name)
        return str(folder)

    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download))
    code, _, err = convert("--from-hub", "someone/tiny_vae_repo", "--models-dir", tmp_path / "models")
    assert code == 0, err
    assert calls == [("someone/tiny_vae_repo", ["config.json", "*.safetensors"])]
    with tzw.TZWFile(tmp_path / "models" / "custom-tiny_vae_repo-64.tzw") as f:
        assert f.metadata["provenance"]["hub_repo"] == "someone/tiny_vae_repo"
    code, _, err = convert(fixture_dir(CASE), "--from-hub", "someone/x")
    assert code == 1 and "not both" in err


def test_usage_errors_are_one_line_with_status_1(tmp_path):
    result = subprocess.run([sys.executable, str(TOOLS / "convert_checkpoint.py"), "x", "--dtype", "f8"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1  # argparse's wording of the choices varies between Python versions
    assert lines[0].startswith("convert_checkpoint: error: argument --dtype: invalid choice") and "f8" in lines[0]


@pytest.mark.parametrize("case", ["tiny_legacy_vq_r64_t32", "tiny_vq8k_r64_t16"])
def test_linear_weights_are_stored_as_strips16_by_default(tmp_path, convert, case):
    from titok_arch import is_linear_weight
    code, out, err = convert(fixture_dir(case), "--out", tmp_path / "s.tzw")
    assert code == 0, err
    with tzw.TZWFile(tmp_path / "s.tzw") as f:
        assert f.header.version == 2
        strips = {e.name for e in f.entries if e.order == "strips16"}
        assert strips == {e.name for e in f.entries if is_linear_weight(e.name) and e.shape[0] % 16 == 0}
        assert len(strips) >= 4 * (f.metadata["config"]["encoder"]["layers"] + f.metadata["config"]["decoder"]["layers"])
        assert f"{len(strips)} Linear weights as strips16" in out
    code, _, err = convert(fixture_dir(case), "--out", tmp_path / "r.tzw", "--layout", "row-major")
    assert code == 0, err
    with tzw.TZWFile(tmp_path / "r.tzw") as plain, tzw.TZWFile(tmp_path / "s.tzw") as strips_file:
        assert plain.header.version == 1
        assert {e.order for e in plain.entries} == {"row-major"}
        for name in plain.names:  # the same values, whichever order they are stored in
            assert (plain.array(name) == strips_file.array(name)).all(), name


@pytest.mark.parametrize("options", [("--compress", "zlib"), ("--dtype", "f16", "--shuffle")])
def test_compressed_files_stay_row_major(tmp_path, convert, options):
    code, _, err = convert(fixture_dir(CASE), "--out", tmp_path / "m.tzw", *options)
    assert code == 0, err
    with tzw.TZWFile(tmp_path / "m.tzw") as f:
        assert f.header.version == 1 and {e.order for e in f.entries} == {"row-major"}


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_sixteen_bit_files_store_linear_weights_as_strips16(tmp_path, convert, dtype):
    code, _, err = convert(fixture_dir(CASE), "--out", tmp_path / "s.tzw", "--dtype", dtype)
    assert code == 0, err
    code, _, err = convert(fixture_dir(CASE), "--out", tmp_path / "r.tzw", "--dtype", dtype, "--layout", "row-major")
    assert code == 0, err
    with tzw.TZWFile(tmp_path / "s.tzw") as strips_file, tzw.TZWFile(tmp_path / "r.tzw") as plain:
        assert strips_file.header.version == 3 and plain.header.version == 1
        assert any(e.order == "strips16" and e.dtype == dtype for e in strips_file.entries)
        for name in plain.names:  # the same values, whichever order they are stored in
            assert (plain.float32(name) == strips_file.float32(name)).all(), name


@pytest.mark.parametrize("case", ["tiny_gen_bert_t32", "tiny_gen_uvit_t32"])
@pytest.mark.parametrize("dtype", ["f32", "f16"])
def test_generator_linear_weights_are_stored_as_strips16(tmp_path, convert, case, dtype):
    from maskgit_arch import is_generator_linear_weight
    code, _, err = convert(fixture_dir(case), "--out", tmp_path / "s.tzw", "--dtype", dtype)
    assert code == 0, err
    code, _, err = convert(fixture_dir(case), "--out", tmp_path / "r.tzw", "--dtype", dtype, "--layout", "row-major")
    assert code == 0, err
    with tzw.TZWFile(tmp_path / "s.tzw") as strips_file, tzw.TZWFile(tmp_path / "r.tzw") as plain:
        strips = {e.name for e in strips_file.entries if e.order == "strips16"}
        assert strips == {e.name for e in strips_file.entries if is_generator_linear_weight(e.name) and e.shape[0] % 16 == 0}
        assert strips and not any(".attention.self." in name for name in strips)  # fused at load: row-major
        assert strips_file.header.version == (2 if dtype == "f32" else 3) and plain.header.version == 1
        for name in plain.names:  # the same values, whichever order they are stored in
            assert (plain.float32(name) == strips_file.float32(name)).all(), name

