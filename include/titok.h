/*
 * titok.h - C interface of libtitok, the TiTok Zoo image tokenizer library.
 *
 * TiTok turns an R x R RGB image into N discrete tokens (or N latent vectors for VAE
 * models) and back. Models are single `.tzw` weight files.
 *
 * Conventions:
 *   - Every call that can fail returns a titok_status; on failure titok_last_error()
 *     gives a human-readable message for the calling thread. Nothing aborts on bad input.
 *   - Structs that can grow carry `struct_size` as their first field: set it to
 *     sizeof(the struct) (titok_options_default does it for titok_options). The library
 *     accepts larger structs from newer headers and rejects ones smaller than version 1.
 *   - Thread safety: one titok_model may be used by several threads at once for
 *     titok_encode/titok_decode/titok_encode_latents/titok_decode_latents/titok_model_get_info.
 *     titok_model_free must not race with any other use of the same handle.
 *   - Memory: buffers passed in are owned by the caller; everything the library allocates
 *     for a model is released by titok_model_free. Strings returned by the library are
 *     owned by it (see each function for how long they stay valid).
 *
 * ABI changes are listed in docs/c-abi.md; TITOK_ABI_VERSION is bumped on any
 * incompatible change.
 */
#ifndef TITOK_H
#define TITOK_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(TITOK_BUILDING_LIBRARY)
#    define TITOK_API __declspec(dllexport)
#  else
#    define TITOK_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define TITOK_API __attribute__((visibility("default")))
#else
#  define TITOK_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this interface; titok_abi_version() returns the library's. */
#define TITOK_ABI_VERSION 1

/** An opened model (tokenizer or generator). Opaque. */
typedef struct titok_model titok_model;

/** Result of every fallible call. */
typedef enum {
    TITOK_OK = 0,
    TITOK_E_INVALID_ARGUMENT = 1, /* NULL pointer, zero batch, bad size, unknown variant, wrong model kind */
    TITOK_E_IO = 2,               /* file missing or unreadable, no weights on the search path */
    TITOK_E_FORMAT = 3,           /* a file that is not a valid weight file / image, or does not fit its model */
    TITOK_E_UNSUPPORTED = 4,      /* something this build or this model cannot do */
    TITOK_E_OUT_OF_MEMORY = 5,    /* a buffer size that overflows or cannot be allocated */
    TITOK_E_INTERNAL = 6          /* a bug in the library: please report the message */
} titok_status;

/** Options for opening a model. Initialise with titok_options_default. */
typedef struct {
    uint32_t struct_size; /* sizeof(titok_options) */
    int32_t num_threads;  /* compute threads; 0 = all cores */
} titok_options;

/** Shape facts of an opened model. Set struct_size = sizeof(titok_model_info) before the call. */
typedef struct {
    uint32_t struct_size;  /* sizeof(titok_model_info), set by the caller */
    char variant[64];      /* variant name, NUL-terminated (truncated if longer) */
    int32_t resolution;    /* R: images are R x R (0 for generators) */
    int32_t num_tokens;    /* N tokens per image */
    int32_t codebook_size; /* token ids are 0..codebook_size-1 (0 for VAE models) */
    int32_t token_dim;     /* C: channels per token latent (VAE: latent channels; 0 for generators) */
    int32_t is_vae;        /* 1 for VAE (continuous) tokenizers, else 0 */
} titok_model_info;

/** What an opened model does. */
typedef enum {
    TITOK_KIND_TOKENIZER = 0, /* image <-> tokens/latents: titok_encode, titok_decode, ... */
    TITOK_KIND_GENERATOR = 1  /* class-conditional token generator (MaskGIT) */
} titok_model_kind;

/** Fills *opts with the defaults (struct_size set, all cores). NULL is a no-op. */
TITOK_API void titok_options_default(titok_options *opts);

/** Library version ("1.0.0"); a static string. */
TITOK_API const char *titok_version(void);

/** Which engine runs the matrix products in this process, for logs: "avx512" or "avx2" (the
 *  library's own kernels; both give identical results) or "openblas" (CPUs without AVX2 and FMA,
 *  or TITOK_GEMM=openblas in the environment). A static string. */
TITOK_API const char *titok_compute_engine(void);

/** ABI version the library implements; compare with TITOK_ABI_VERSION. */
TITOK_API uint32_t titok_abi_version(void);

/** sizeof(titok_options) and sizeof(titok_model_info) as the library was built (binding checks). */
TITOK_API size_t titok_sizeof_options(void);
TITOK_API size_t titok_sizeof_model_info(void);

/** A short static name for a status ("TITOK_E_IO"); unknown values give "TITOK_E_UNKNOWN". */
TITOK_API const char *titok_status_string(titok_status status);

/** Message of the last failed call on this thread ("" if none). Owned by the library; valid
 *  until the next failing call on the same thread. */
TITOK_API const char *titok_last_error(void);

/** Opens a .tzw weight file. opts may be NULL (defaults). On success *out holds a new handle. */
TITOK_API titok_status titok_model_open(const char *path, const titok_options *opts, titok_model **out);

/** Opens the registered variant ("TiTok-L-32") at `resolution` (0 = the variant's default)
 *  from `models_dir`, or from the search path when NULL ($TITOK_MODELS, then
 *  $XDG_CACHE_HOME/titok, default ~/.cache/titok), looking for <variant>-<R>.tzw. */
TITOK_API titok_status titok_model_open_variant(const char *variant, int32_t resolution, const char *models_dir,
                                                const titok_options *opts, titok_model **out);

/** Builds a registered variant with seeded random (untrained) weights: real shapes and cost,
 *  meaningless outputs. For benchmarks and tests. resolution 0 = the variant's default. */
TITOK_API titok_status titok_model_open_random(const char *variant, int32_t resolution, uint64_t seed,
                                               const titok_options *opts, titok_model **out);

/** Does now what the first encode and decode would do on first use (Winograd filters made,
    weights packed, buffers allocated) by encoding and decoding one synthetic image, so the first
    real call runs as fast as the next ones: for a server's start-up. Optional; costs about one
    encode + decode (tokenizers only). */
TITOK_API titok_status titok_model_warm_up(titok_model *model);

/** Releases a model and everything the library allocated for it. NULL is a no-op. */
TITOK_API void titok_model_free(titok_model *model);

/** Fills *out (whose struct_size the caller set) with the model's shape facts. */
TITOK_API titok_status titok_model_get_info(const titok_model *model, titok_model_info *out);

/** Stores the model's kind in *out. Tokenizer calls on a generator fail with INVALID_ARGUMENT. */
TITOK_API titok_status titok_model_get_kind(const titok_model *model, titok_model_kind *out);

/** Encodes `batch` images to token ids (VQ tokenizers only).
 *  rgb: batch x R x R x 3 bytes, rows top to bottom, RGB interleaved; tokens_out: batch x N. */
TITOK_API titok_status titok_encode(titok_model *model, const uint8_t *rgb, size_t batch, int32_t *tokens_out);

/** Decodes `batch` x N token ids (each in 0..codebook_size-1) to images (VQ tokenizers only).
 *  rgb_out: batch x R x R x 3 bytes; pixels are clamped to [0,1], scaled by 255, truncated. */
TITOK_API titok_status titok_decode(titok_model *model, const int32_t *tokens, size_t batch, uint8_t *rgb_out);

/** Encodes float images to latents (any tokenizer).
 *  pixels: planar [batch, 3, R, R] in [0,1]; latents_out: [batch, C, N] with C = token_dim:
 *  the quantized codebook vectors for VQ models, the posterior mean for VAE models. */
TITOK_API titok_status titok_encode_latents(titok_model *model, const float *pixels, size_t batch,
                                            float *latents_out);

/** Decodes latents [batch, C, N] to float images [batch, 3, R, R] (unclamped; any tokenizer). */
TITOK_API titok_status titok_decode_latents(titok_model *model, const float *latents, size_t batch,
                                            float *pixels_out);

/** Reads a PNG or JPEG file and fits it to R x R the way the reference evaluates: resize the
 *  shorter side to R (bicubic), crop the centre. rgb_out: R x R x 3 bytes. */
TITOK_API titok_status titok_image_load_rgb(const char *path, int32_t resolution, uint8_t *rgb_out);

/* ======================================================================================
 * Generation: MaskGIT class-conditional token generators (MaskGIT-TiTok-L-32, -B-64, -S-128).
 * A generator samples N token ids per image for ImageNet classes; decode them with the
 * paired tokenizer (titok_decode). Same thread-safety rules as titok_model.
 * ====================================================================================== */

/** An opened generator. Opaque. */
typedef struct titok_generator titok_generator;

/** How the classifier-free guidance scale changes over the steps. */
typedef enum {
    TITOK_GUIDANCE_CONSTANT = 0,     /* the same scale every step */
    TITOK_GUIDANCE_LINEAR = 1,       /* 0 at the first step, growing linearly */
    TITOK_GUIDANCE_POWER_COSINE = 2  /* MDT's schedule, mixed from the unconditional side */
} titok_guidance_decay;

/** Sampling settings. Initialise with titok_generate_params_default or titok_generator_get_params. */
typedef struct {
    uint32_t struct_size;                  /* sizeof(titok_generate_params) */
    int32_t steps;                         /* sampling steps, >= 1 */
    double guidance_scale;                 /* classifier-free guidance scale */
    int32_t guidance_decay;                /* a titok_guidance_decay */
    int32_t softmax_temperature_annealing; /* 1: divide logits by 0.5 + 0.8 (1 - (s+1)/S); else 0 */
    double randomize_temperature;          /* gumbel noise temperature at the first step; 0 = deterministic */
    uint64_t seed;                         /* seed of the noise: same seed, same tokens, any thread count */
} titok_generate_params;

/** Fills *p with the reference generate() defaults (8 steps, guidance 3.0 constant,
 *  temperature 4.5, no annealing, seed 0). NULL is a no-op. */
TITOK_API void titok_generate_params_default(titok_generate_params *p);
/** sizeof(titok_generate_params) as the library was built (binding checks). */
TITOK_API size_t titok_sizeof_generate_params(void);
/** Opens a generator .tzw file (a tokenizer file is INVALID_ARGUMENT). opts may be NULL. */
TITOK_API titok_status titok_generator_open(const char *path, const titok_options *opts, titok_generator **out);
/** Builds a registered generator variant with seeded random (untrained) weights. */
TITOK_API titok_status titok_generator_open_random(const char *variant, uint64_t seed, const titok_options *opts,
                                                   titok_generator **out);
/** Tokens per image N, codebook size K and number of classes M (NULL outputs are skipped). */
TITOK_API titok_status titok_generator_get_info(const titok_generator *gen, int32_t *num_tokens,
                                                int32_t *codebook_size, int32_t *num_classes);
/** Fills *out with the generator's own defaults (the paper's settings for it; seed 0). */
TITOK_API titok_status titok_generator_get_params(const titok_generator *gen, titok_generate_params *out);
/** Samples batch x N token ids into tokens_out, image b of class labels[b] (0..M-1).
 *  params NULL = the generator's defaults. tokenizer may be NULL; when given, it must decode
 *  these tokens (same codebook size and token count) or the call fails with INVALID_ARGUMENT. */
TITOK_API titok_status titok_generate(titok_generator *gen, const titok_model *tokenizer, const int32_t *labels,
                                      size_t batch, const titok_generate_params *params, int32_t *tokens_out);
/** Releases a generator. NULL is a no-op. */
TITOK_API void titok_generator_free(titok_generator *gen);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TITOK_H */
