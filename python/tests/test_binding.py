"""The Python binding against the fixture models: parity, errors, threads, struct sizes, input checks."""

from __future__ import annotations

import ctypes
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import titok
from titok import _library

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "titok"
LEGACY_DIR = FIXTURES / "tiny_legacy_vq_r64_t32"


def u8_recon(decoded: np.ndarray) -> np.ndarray:
    """[B,3,R,R] float -> uint8 [B,R,R,3]: clamp to [0,1], x255, truncated (the fixtures' recon_u8)."""
    return (np.clip(decoded.astype(np.float32), 0, 1) * np.float32(255)).astype(np.uint8).transpose(0, 2, 3, 1)


def max_grey_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


@pytest.fixture
def legacy(model_paths):
    with titok.Model(model_paths["legacy"]) as model:
        yield model


@pytest.fixture
def vae(model_paths):
    with titok.Model(model_paths["vae"]) as model:
        yield model


# ---- library and structs


def test_library_matches_binding():
    lib = _library.lib()
    assert lib.titok_abi_version() == titok.ABI_VERSION == 1
    assert lib.titok_sizeof_options() == ctypes.sizeof(_library.Options) == 8
    assert lib.titok_sizeof_model_info() == ctypes.sizeof(_library.ModelInfoStruct) == 88
    assert titok.library_version()
    assert Path(titok.library_path()).is_file()


def _fake_library(abi=1, options=8, info=88):
    return types.SimpleNamespace(titok_abi_version=lambda: abi, titok_sizeof_options=lambda: options,
                                 titok_sizeof_model_info=lambda: info)


def test_struct_drift_is_refused():
    _library.check_compatible(_fake_library(), "fake")
    with pytest.raises(titok.LibraryNotFoundError, match="ABI 2"):
        _library.check_compatible(_fake_library(abi=2), "fake")
    with pytest.raises(titok.LibraryNotFoundError, match=r"sizeof\(titok_model_info\) is 92"):
        _library.check_compatible(_fake_library(info=92), "fake")
    with pytest.raises(titok.LibraryNotFoundError, match=r"sizeof\(titok_options\)"):
        _library.check_compatible(_fake_library(options=12), "fake")


def test_missing_library_is_a_clear_import_error(tmp_path):
    with pytest.raises(ImportError, match="libtitok.so not found"):
        _library.load([tmp_path / "libtitok.so"])


# ---- fixture parity


def test_info(legacy, vae):
    assert legacy.info == titok.ModelInfo("tiny_legacy_vq_r64_t32", 64, 32, legacy.info.codebook_size,
                                          legacy.info.token_dim, False)
    assert legacy.info.codebook_size > 0 and legacy.info.token_dim == 12
    assert vae.info == titok.ModelInfo("tiny_vae_r64_t32", 64, 32, 0, 16, True)


@pytest.mark.parametrize("case", ["legacy", "vq"])
def test_tokens_and_reconstruction_match_the_reference(case, model_paths, expected):
    want = expected(case)
    with titok.Model(model_paths[case], threads=2) as model:
        tokens = model.encode(want["image_u8"])
        assert tokens.dtype == np.int32 and tokens.shape == want["tokens"].shape
        np.testing.assert_array_equal(tokens, want["tokens"])
        recon = model.decode(tokens)
        assert recon.dtype == np.uint8 and recon.shape == want["image_u8"].shape
        assert max_grey_diff(recon, want["recon_u8"]) <= 1
        given = model.decode(want["tokens_given"])
        assert max_grey_diff(given, u8_recon(want["decoded_from_tokens_given"])) <= 1


@pytest.mark.parametrize("case", ["legacy", "vq"])
def test_warm_up_leaves_the_reference_results(case, model_paths, expected):
    want = expected(case)
    with titok.Model(model_paths[case], threads=2) as model:
        assert model.warm_up() is None
        model.warm_up()  # again: nothing left to make, nothing changed
        np.testing.assert_array_equal(model.encode(want["image_u8"]), want["tokens"])
        assert max_grey_diff(model.decode(want["tokens"]), want["recon_u8"]) <= 1
    with pytest.raises(titok.InvalidArgumentError, match="closed"):
        model.warm_up()


def test_single_image_and_lists(legacy, expected):
    want = expected("legacy")
    images = want["image_u8"]
    np.testing.assert_array_equal(legacy.encode(images[1]), want["tokens"][1:])
    np.testing.assert_array_equal(legacy.encode([images[0], images[1]]), want["tokens"])
    assert legacy.decode(want["tokens"][0]).shape == (1, 64, 64, 3)


def test_pil_images(legacy, expected):
    Image = pytest.importorskip("PIL.Image")
    want = expected("legacy")
    pictures = [Image.open(LEGACY_DIR / f"input_{i}.png") for i in range(2)]
    np.testing.assert_array_equal(legacy.encode(pictures), want["tokens"])
    np.testing.assert_array_equal(legacy.encode(pictures[0]), want["tokens"][:1])
    with pytest.raises(titok.InvalidArgumentError, match="64x64"):
        legacy.encode(pictures[0].resize((32, 32)))


def test_load_image(expected):
    want = expected("legacy")["image_u8"]
    image = titok.load_image(LEGACY_DIR / "input_0.png", 64)
    np.testing.assert_array_equal(image, want[0])
    with pytest.raises(titok.TiTokIOError, match="nope.png"):
        titok.load_image("/nonexistent/nope.png", 64)


def test_latent_paths(legacy, vae, expected):
    want = expected("vae")
    mean = want["posterior_mean"][:, :, 0, :]
    latents = vae.encode_latents(want["pixel_values"])
    assert latents.dtype == np.float32 and latents.shape == (2, 16, 32)
    # plumbing check (layout, batch order); numeric accuracy is held by the Swift tests
    np.testing.assert_allclose(latents, mean, rtol=0, atol=1e-4)
    pixels = vae.decode_latents(mean)
    assert pixels.dtype == np.float32 and pixels.shape == (2, 3, 64, 64)
    np.testing.assert_allclose(pixels, want["decoded"], rtol=0, atol=1e-4)
    # float64 input is converted
    np.testing.assert_allclose(vae.decode_latents(mean.astype(np.float64)[0]), pixels[:1], rtol=0, atol=1e-6)

    # VQ: the quantized latents decode to the tokens' reconstruction
    lwant = expected("legacy")
    z = legacy.encode_latents(lwant["pixel_values"])
    assert z.shape == (2, legacy.info.token_dim, 32)
    np.testing.assert_allclose(z, lwant["z_q"][:, :, 0, :], rtol=0, atol=1e-4)
    assert max_grey_diff(u8_recon(legacy.decode_latents(z)), lwant["recon_u8"]) <= 1


# ---- threads


def test_threads_share_one_model(legacy, expected):
    want = expected("legacy")
    single = legacy.encode(want["image_u8"])

    def work(_):
        tokens = legacy.encode(want["image_u8"])
        recon = legacy.decode(tokens)
        return tokens, recon

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    reference_recon = legacy.decode(single)
    for tokens, recon in results:
        np.testing.assert_array_equal(tokens, single)
        np.testing.assert_array_equal(recon, reference_recon)


def test_close_while_other_threads_encode(model_paths, expected):
    """Closing a shared model mid-use never crashes: each call either completes or is refused."""
    images = expected("legacy")["image_u8"]
    model = titok.Model(model_paths["legacy"])
    reference = model.encode(images)
    outcomes = []

    def work(_):
        try:
            np.testing.assert_array_equal(model.encode(images), reference)
            return "ok"
        except titok.InvalidArgumentError as err:
            assert "closed" in str(err) or "not an open titok_model" in str(err)
            return "refused"

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(work, i) for i in range(12)]
        model.close()
        outcomes = [f.result() for f in futures]
    assert set(outcomes) <= {"ok", "refused"}


# ---- errors carry the library's status and message


def test_open_errors(tmp_path, model_paths):
    with pytest.raises(titok.TiTokIOError, match="missing.tzw") as err:
        titok.Model(tmp_path / "missing.tzw")
    assert err.value.status == "TITOK_E_IO" and err.value.message.startswith("titok_model_open:")
    garbage = tmp_path / "garbage.tzw"
    garbage.write_bytes(b"not a weight file" * 100)
    with pytest.raises(titok.FormatError, match="garbage.tzw"):
        titok.Model(garbage)
    truncated = tmp_path / "truncated.tzw"
    truncated.write_bytes(model_paths["legacy"].read_bytes()[:5000])
    with pytest.raises(titok.FormatError):
        titok.Model(truncated)
    with pytest.raises(titok.InvalidArgumentError, match="TiTok-Q-9"):
        titok.Model.from_variant("TiTok-Q-9", 256, models_dir=tmp_path)
    with pytest.raises(titok.InvalidArgumentError, match="TiTok-Q-9"):
        titok.Model.random("TiTok-Q-9", 256, seed=1)
    with pytest.raises(titok.InvalidArgumentError, match="threads"):
        titok.Model(model_paths["legacy"], threads=-1)
    with pytest.raises(titok.InvalidArgumentError, match="seed"):
        titok.Model.random("TiTok-L-32", 256, seed=-1)


def test_registered_variant_without_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TITOK_MODELS", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(titok.TiTokIOError, match="TiTok-L-32"):
        titok.Model.from_variant("TiTok-L-32", 256, models_dir=tmp_path)


def test_wrong_model_kind(vae):
    with pytest.raises(titok.InvalidArgumentError, match="encode_latents"):
        vae.encode(np.zeros((1, 64, 64, 3), np.uint8))
    with pytest.raises(titok.InvalidArgumentError, match="decode_latents"):
        vae.decode(np.zeros((1, 32), np.int32))


def test_generator_is_not_a_tokenizer(model_paths):
    with pytest.raises(titok.InvalidArgumentError, match="tiny_gen_bert_t32 is a MaskGIT generator"):
        titok.Model(model_paths["generator"])


def test_library_rejects_bad_tokens(legacy):
    """The library's own check, bypassing the binding's."""
    ids = np.zeros((1, 32), np.int32)
    ids[0, 7] = legacy.info.codebook_size
    out = np.empty((1, 64, 64, 3), np.uint8)
    status = _library.lib().titok_decode(legacy._live(), ids.ctypes.data_as(_library.c_int32_p), 1,
                                         out.ctypes.data_as(_library.c_uint8_p))
    assert status == 1
    with pytest.raises(titok.InvalidArgumentError, match="position 7"):
        _library.check(status)


def test_closed_model(model_paths):
    model = titok.Model(model_paths["legacy"])
    model.close()
    model.close()  # twice is fine
    assert model.closed
    with pytest.raises(titok.InvalidArgumentError, match="closed"):
        model.encode(np.zeros((64, 64, 3), np.uint8))


# ---- input validation


def test_input_shapes_and_dtypes(legacy, expected):
    images = expected("legacy")["image_u8"]
    with pytest.raises(titok.InvalidArgumentError, match="uint8"):
        legacy.encode(images.astype(np.float32))
    with pytest.raises(titok.InvalidArgumentError, match=r"\[B,64,64,3\]"):
        legacy.encode(images[:, :32])
    with pytest.raises(titok.InvalidArgumentError, match="empty"):
        legacy.encode(images[:0])
    with pytest.raises(titok.InvalidArgumentError, match="integers"):
        legacy.decode(np.zeros((1, 32), np.float32))
    with pytest.raises(titok.InvalidArgumentError, match=r"\[B,32\]"):
        legacy.decode(np.zeros((1, 31), np.int32))
    with pytest.raises(titok.InvalidArgumentError, match="outside the codebook"):
        legacy.decode(np.full((1, 32), -1))
    with pytest.raises(titok.InvalidArgumentError, match=r"\[B,3,64,64\]"):
        legacy.encode_latents(np.zeros((1, 64, 64, 3), np.float32))
    with pytest.raises(titok.InvalidArgumentError, match="latents"):
        legacy.decode_latents(np.zeros((1, 32, 12), np.float32))
    with pytest.raises(titok.InvalidArgumentError, match="real numbers"):
        legacy.encode_latents(np.zeros((1, 3, 64, 64), np.complex64))


def test_non_contiguous_inputs(legacy, expected):
    want = expected("legacy")
    flipped = want["image_u8"][:, :, ::-1]  # a strided view
    assert not flipped.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(legacy.encode(flipped), legacy.encode(np.ascontiguousarray(flipped)))
    tokens_t = np.asfortranarray(want["tokens"])  # int64, Fortran order
    np.testing.assert_array_equal(legacy.decode(tokens_t), legacy.decode(want["tokens"].astype(np.int32)))
