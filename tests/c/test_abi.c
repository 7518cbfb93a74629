/*
 * C ABI tests for libtitok (include/titok.h). Run by tests/c/run.sh, which converts the fixture
 * models and dumps their inputs and goldens to raw files in DATA_DIR:
 *
 *   test_abi DATA_DIR FIXTURE_DIR [section...]
 *
 * Sections: basics errors legacy vq vae generator generate threads images (default: all). Exit status 0 = all passed.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "titok.h"

static int failures = 0;
static const char *data_dir;
static const char *fixture_dir;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, titok_last_error());                                            \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* A call that must fail with `expected` and leave a message mentioning `needle`. */
#define CHECK_FAILS(call, expected, needle)                                                     \
    do {                                                                                        \
        titok_status got_ = (call);                                                             \
        if (got_ != (expected) || strstr(titok_last_error(), (needle)) == NULL) {               \
            fprintf(stderr, "%s:%d: %s gave %s \"%s\", expected %s mentioning \"%s\"\n",         \
                    __FILE__, __LINE__, #call, titok_status_string(got_), titok_last_error(),   \
                    titok_status_string(expected), (needle));                                   \
            failures++;                                                                         \
        }                                                                                       \
    } while (0)

#define CHECK_OK(call)                                                                     \
    do {                                                                                   \
        titok_status got_ = (call);                                                        \
        if (got_ != TITOK_OK) {                                                            \
            fprintf(stderr, "%s:%d: %s gave %s: %s\n", __FILE__, __LINE__, #call,          \
                    titok_status_string(got_), titok_last_error());                        \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* ---- files written by run.sh ---- */

static void path_in(char *out, size_t cap, const char *dir, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Reads DATA_DIR/name, which must hold exactly `size` bytes; NULL (and a failure) otherwise. */
static void *read_exact(const char *name, size_t size) {
    char path[4096];
    path_in(path, sizeof path, data_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        failures++;
        return NULL;
    }
    unsigned char *buf = malloc(size + 1);
    size_t got = buf ? fread(buf, 1, size + 1, f) : 0;
    fclose(f);
    if (!buf || got != size) {
        fprintf(stderr, "%s: expected %zu bytes, got %zu\n", path, size, got);
        free(buf);
        failures++;
        return NULL;
    }
    return buf;
}

static titok_status open_data_model(const char *name, titok_model **out) {
    char path[4096];
    path_in(path, sizeof path, data_dir, name);
    return titok_model_open(path, NULL, out);
}

static titok_model_info get_info(const titok_model *model) {
    titok_model_info info;
    memset(&info, 0xAB, sizeof info);
    info.struct_size = sizeof info;
    CHECK_OK(titok_model_get_info(model, &info));
    return info;
}

/* ---- sections ---- */

static void test_basics(void) {
    titok_options opts;
    memset(&opts, 0x7F, sizeof opts);
    titok_options_default(&opts);
    CHECK(opts.struct_size == sizeof(titok_options));
    CHECK(opts.num_threads == 0);
    titok_options_default(NULL); /* no-op */

    CHECK(titok_abi_version() == TITOK_ABI_VERSION);
    CHECK(titok_sizeof_options() == sizeof(titok_options));
    CHECK(titok_sizeof_model_info() == sizeof(titok_model_info));
    CHECK(titok_version() != NULL && strlen(titok_version()) > 0);
    {
        const char *engine = titok_compute_engine(), *forced = getenv("TITOK_GEMM");
        CHECK(engine != NULL && (strcmp(engine, "avx512") == 0 || strcmp(engine, "avx2") == 0 ||
                                 strcmp(engine, "openblas") == 0));
        if (forced && strcmp(forced, "openblas") == 0) CHECK(strcmp(engine, "openblas") == 0);
        printf("compute engine: %s\n", engine);
    }
    CHECK(strcmp(titok_status_string(TITOK_OK), "TITOK_OK") == 0);
    CHECK(strcmp(titok_status_string(TITOK_E_IO), "TITOK_E_IO") == 0);
    CHECK(strcmp(titok_status_string(TITOK_E_INTERNAL), "TITOK_E_INTERNAL") == 0);
    CHECK(strcmp(titok_status_string((titok_status)99), "TITOK_E_UNKNOWN") == 0);
    titok_model_free(NULL); /* no-op */
}

static void *last_error_in_new_thread(void *arg) {
    (void)arg;
    return (void *)(strcmp(titok_last_error(), "") == 0 ? "empty" : "set");
}

static void test_errors(void) {
    titok_model *model = (titok_model *)0x1; /* must be reset to NULL on failure */
    char path[4096];

    /* NULL and empty arguments */
    CHECK_FAILS(titok_model_open(NULL, NULL, &model), TITOK_E_INVALID_ARGUMENT, "path is NULL");
    CHECK(model == NULL);
    CHECK_FAILS(titok_model_open("", NULL, &model), TITOK_E_INVALID_ARGUMENT, "path is empty");
    path_in(path, sizeof path, data_dir, "legacy.tzw");
    CHECK_FAILS(titok_model_open(path, NULL, NULL), TITOK_E_INVALID_ARGUMENT, "out is NULL");
    CHECK_FAILS(titok_model_open_variant(NULL, 256, NULL, NULL, &model), TITOK_E_INVALID_ARGUMENT, "variant is NULL");
    CHECK_FAILS(titok_model_open_random(NULL, 256, 0, NULL, &model), TITOK_E_INVALID_ARGUMENT, "variant is NULL");
    CHECK_FAILS(titok_model_open_random("TiTok-L-32", -5, 0, NULL, &model), TITOK_E_INVALID_ARGUMENT, "resolution");
    CHECK_FAILS(titok_model_get_info(NULL, NULL), TITOK_E_INVALID_ARGUMENT, "model is NULL");
    CHECK_FAILS(titok_encode(NULL, NULL, 1, NULL), TITOK_E_INVALID_ARGUMENT, "model is NULL");
    CHECK_FAILS(titok_decode(NULL, NULL, 1, NULL), TITOK_E_INVALID_ARGUMENT, "model is NULL");
    CHECK_FAILS(titok_encode_latents(NULL, NULL, 1, NULL), TITOK_E_INVALID_ARGUMENT, "model is NULL");
    CHECK_FAILS(titok_model_warm_up(NULL), TITOK_E_INVALID_ARGUMENT, "model is NULL");
    CHECK(strncmp(titok_last_error(), "titok_model_warm_up:", 20) == 0);
    CHECK_FAILS(titok_decode_latents(NULL, NULL, 1, NULL), TITOK_E_INVALID_ARGUMENT, "model is NULL");

    /* the message names the failing function */
    CHECK(strncmp(titok_last_error(), "titok_decode_latents:", 21) == 0);
    /* messages are per thread */
    void *seen = NULL;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, last_error_in_new_thread, NULL) == 0);
    CHECK(pthread_join(thread, &seen) == 0);
    CHECK(seen != NULL && strcmp((const char *)seen, "empty") == 0);
    /* a success does not clear the message of the last failure */
    titok_options ok_opts;
    titok_options_default(&ok_opts);
    CHECK(strstr(titok_last_error(), "model is NULL") != NULL);

    /* options struct checks */
    titok_options opts;
    titok_options_default(&opts);
    opts.struct_size = 4;
    CHECK_FAILS(titok_model_open(path, &opts, &model), TITOK_E_INVALID_ARGUMENT, "struct_size");
    titok_options_default(&opts);
    opts.num_threads = -2;
    CHECK_FAILS(titok_model_open(path, &opts, &model), TITOK_E_INVALID_ARGUMENT, "num_threads");

    /* files */
    path_in(path, sizeof path, data_dir, "does-not-exist.tzw");
    CHECK_FAILS(titok_model_open(path, NULL, &model), TITOK_E_IO, "does-not-exist.tzw");
    CHECK_FAILS(titok_model_open(data_dir, NULL, &model), TITOK_E_IO, "not a regular file");
    path_in(path, sizeof path, data_dir, "truncated.tzw");
    CHECK_FAILS(titok_model_open(path, NULL, &model), TITOK_E_FORMAT, "truncated.tzw");
    path_in(path, sizeof path, data_dir, "garbage.tzw");
    CHECK_FAILS(titok_model_open(path, NULL, &model), TITOK_E_FORMAT, "garbage.tzw");
    CHECK(model == NULL);

    /* registry lookups */
    CHECK_FAILS(titok_model_open_variant("TiTok-Q-99", 256, data_dir, NULL, &model), TITOK_E_INVALID_ARGUMENT,
                "TiTok-Q-99");
    CHECK_FAILS(titok_model_open_random("TiTok-Q-99", 256, 1, NULL, &model), TITOK_E_INVALID_ARGUMENT, "TiTok-Q-99");
    CHECK_FAILS(titok_model_open_variant("TiTok-L-32", 256, data_dir, NULL, &model), TITOK_E_IO, "TiTok-L-32");
    CHECK_FAILS(titok_model_open_variant("TiTok-L-32", 300, data_dir, NULL, &model), TITOK_E_INVALID_ARGUMENT, "300");
    CHECK(model == NULL);

    /* a newer caller's larger options struct is accepted */
    struct {
        titok_options v1;
        uint64_t future_field;
    } bigger;
    titok_options_default(&bigger.v1);
    bigger.v1.struct_size = sizeof bigger;
    bigger.v1.num_threads = 1;
    bigger.future_field = 42;
    path_in(path, sizeof path, data_dir, "vq.tzw");
    CHECK_OK(titok_model_open(path, &bigger.v1, &model));
    CHECK(model != NULL);
    titok_model_free(model);
    model = NULL;

    /* a freed handle is refused, not dereferenced */
    titok_model *legacy = NULL;
    CHECK_OK(open_data_model("legacy.tzw", &legacy));
    if (legacy) {
        titok_model_free(legacy);
        int32_t tokens[32];
        CHECK_FAILS(titok_decode(legacy, tokens, 1, (uint8_t *)tokens), TITOK_E_INVALID_ARGUMENT, "not an open titok_model");
    }
}

static void test_legacy(void) {
    titok_model *model = NULL;
    titok_options opts;
    titok_options_default(&opts);
    opts.num_threads = 2;
    char path[4096];
    path_in(path, sizeof path, data_dir, "legacy.tzw");
    CHECK_OK(titok_model_open(path, &opts, &model));
    if (!model) return;

    titok_model_info info = get_info(model);
    CHECK(strcmp(info.variant, "tiny_legacy_vq_r64_t32") == 0);
    titok_model_kind kind = TITOK_KIND_GENERATOR;
    CHECK_OK(titok_model_get_kind(model, &kind));
    CHECK(kind == TITOK_KIND_TOKENIZER);
    CHECK(info.resolution == 64 && info.num_tokens == 32);
    CHECK(info.codebook_size > 0 && info.token_dim > 0 && info.is_vae == 0);
    CHECK(info.struct_size == sizeof info);

    /* a newer caller's larger struct is accepted; the bytes past version 1 are left alone */
    struct {
        titok_model_info v1;
        uint32_t future_field;
    } bigger;
    memset(&bigger, 0, sizeof bigger);
    bigger.v1.struct_size = sizeof bigger;
    bigger.future_field = 0xC0FFEEu;
    CHECK_OK(titok_model_get_info(model, &bigger.v1));
    CHECK(bigger.future_field == 0xC0FFEEu && bigger.v1.num_tokens == 32);
    titok_model_info small;
    small.struct_size = sizeof small - 4;
    CHECK_FAILS(titok_model_get_info(model, &small), TITOK_E_INVALID_ARGUMENT, "struct_size");

    /* warmed up first: every call below must still give the reference's tokens and images */
    CHECK_OK(titok_model_warm_up(model));

    const size_t batch = 2, r = 64, n = 32;
    const size_t image_bytes = batch * r * r * 3;
    uint8_t *images = read_exact("legacy.image_u8", image_bytes);
    int32_t *expected_tokens = read_exact("legacy.tokens_i32", batch * n * 4);
    uint8_t *expected_recon = read_exact("legacy.recon_u8", image_bytes);
    int32_t *given = read_exact("legacy.tokens_given_i32", batch * n * 4);
    uint8_t *expected_given = read_exact("legacy.recon_given_u8", image_bytes);
    int32_t tokens[64];
    uint8_t *recon = malloc(image_bytes);
    if (images && expected_tokens && expected_recon && given && expected_given && recon) {
        CHECK_OK(titok_encode(model, images, batch, tokens));
        CHECK(memcmp(tokens, expected_tokens, sizeof tokens) == 0);
        /* one image at a time gives the same tokens */
        int32_t single[32];
        CHECK_OK(titok_encode(model, images + r * r * 3, 1, single));
        CHECK(memcmp(single, expected_tokens + n, sizeof single) == 0);

        CHECK_OK(titok_decode(model, expected_tokens, batch, recon));
        int worst = 0;
        for (size_t i = 0; i < image_bytes; i++) {
            int d = abs((int)recon[i] - (int)expected_recon[i]);
            if (d > worst) worst = d;
        }
        CHECK(worst <= 1);
        CHECK_OK(titok_decode(model, given, batch, recon));
        worst = 0;
        for (size_t i = 0; i < image_bytes; i++) {
            int d = abs((int)recon[i] - (int)expected_given[i]);
            if (d > worst) worst = d;
        }
        CHECK(worst <= 1);

        /* float paths: planar pixels -> latents -> pixels */
        float *pixels = malloc(batch * 3 * r * r * sizeof(float));
        float *latents = malloc(batch * (size_t)info.token_dim * n * sizeof(float));
        float *decoded = malloc(batch * 3 * r * r * sizeof(float));
        if (pixels && latents && decoded) {
            for (size_t b = 0; b < batch; b++)
                for (size_t p = 0; p < r * r; p++)
                    for (size_t c = 0; c < 3; c++)
                        pixels[(b * 3 + c) * r * r + p] = (float)images[(b * r * r + p) * 3 + c] / 255.0f;
            CHECK_OK(titok_encode_latents(model, pixels, batch, latents));
            CHECK_OK(titok_decode_latents(model, latents, batch, decoded));
            /* decoding the quantized latents is decoding the tokens */
            int worst_latent = 0;
            for (size_t b = 0; b < batch; b++)
                for (size_t p = 0; p < r * r; p++)
                    for (size_t c = 0; c < 3; c++) {
                        float v = decoded[(b * 3 + c) * r * r + p];
                        v = v > 0 ? (v < 1 ? v : 1) : 0;
                        int d = abs((int)(uint8_t)(v * 255.0f) - (int)expected_recon[(b * r * r + p) * 3 + c]);
                        if (d > worst_latent) worst_latent = d;
                    }
            CHECK(worst_latent <= 1);
        }
        free(pixels);
        free(latents);
        free(decoded);

        /* argument errors on a good model */
        CHECK_FAILS(titok_encode(model, images, 0, tokens), TITOK_E_INVALID_ARGUMENT, "batch is 0");
        CHECK_FAILS(titok_encode(model, NULL, 1, tokens), TITOK_E_INVALID_ARGUMENT, "rgb is NULL");
        CHECK_FAILS(titok_encode(model, images, 1, NULL), TITOK_E_INVALID_ARGUMENT, "tokens_out is NULL");
        CHECK_FAILS(titok_decode(model, NULL, 1, recon), TITOK_E_INVALID_ARGUMENT, "tokens is NULL");
        CHECK_FAILS(titok_decode(model, tokens, 1, NULL), TITOK_E_INVALID_ARGUMENT, "rgb_out is NULL");
        CHECK_FAILS(titok_decode(model, tokens, 0, recon), TITOK_E_INVALID_ARGUMENT, "batch is 0");
        CHECK_FAILS(titok_encode(model, images, (size_t)-1, tokens), TITOK_E_OUT_OF_MEMORY, "too large");
        CHECK_FAILS(titok_encode_latents(model, NULL, 1, NULL), TITOK_E_INVALID_ARGUMENT, "pixels is NULL");
        CHECK_FAILS(titok_decode_latents(model, NULL, 1, NULL), TITOK_E_INVALID_ARGUMENT, "latents is NULL");
        CHECK_FAILS(titok_model_get_info(model, NULL), TITOK_E_INVALID_ARGUMENT, "out is NULL");
        int32_t bad[32];
        memcpy(bad, expected_tokens, sizeof bad);
        bad[5] = info.codebook_size;
        CHECK_FAILS(titok_decode(model, bad, 1, recon), TITOK_E_INVALID_ARGUMENT, "outside the codebook");
        bad[5] = -1;
        CHECK_FAILS(titok_decode(model, bad, 1, recon), TITOK_E_INVALID_ARGUMENT, "position 5");
    }
    free(images);
    free(expected_tokens);
    free(expected_recon);
    free(given);
    free(expected_given);
    free(recon);
    titok_model_free(model);
}

static int max_grey_diff(const uint8_t *a, const uint8_t *b, size_t count) {
    int worst = 0;
    for (size_t i = 0; i < count; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > worst) worst = d;
    }
    return worst;
}

/* The single-stage VQ fixture (RGB head): cheap enough to run under valgrind. */
static void test_vq(void) {
    titok_model *model = NULL;
    CHECK_OK(open_data_model("vq.tzw", &model));
    if (!model) return;
    titok_model_info info = get_info(model);
    CHECK(strcmp(info.variant, "tiny_vq8k_r64_t16") == 0);
    CHECK(info.resolution == 64 && info.num_tokens == 16 && info.codebook_size == 8192 && info.is_vae == 0);

    const size_t batch = 2, n = 16, image_bytes = 2 * 64 * 64 * 3;
    uint8_t *images = read_exact("vq.image_u8", image_bytes);
    int32_t *expected_tokens = read_exact("vq.tokens_i32", batch * n * 4);
    uint8_t *expected_recon = read_exact("vq.recon_u8", image_bytes);
    int32_t *given = read_exact("vq.tokens_given_i32", batch * n * 4);
    uint8_t *expected_given = read_exact("vq.recon_given_u8", image_bytes);
    uint8_t *recon = malloc(image_bytes);
    int32_t tokens[32];
    if (images && expected_tokens && expected_recon && given && expected_given && recon) {
        CHECK_OK(titok_encode(model, images, batch, tokens));
        CHECK(memcmp(tokens, expected_tokens, sizeof tokens) == 0);
        CHECK_OK(titok_decode(model, tokens, batch, recon));
        CHECK(max_grey_diff(recon, expected_recon, image_bytes) <= 1);
        CHECK_OK(titok_decode(model, given, batch, recon));
        CHECK(max_grey_diff(recon, expected_given, image_bytes) <= 1);
        given[31] = 8192;
        CHECK_FAILS(titok_decode(model, given, batch, recon), TITOK_E_INVALID_ARGUMENT, "image 1, position 15");
    }
    free(images);
    free(expected_tokens);
    free(expected_recon);
    free(given);
    free(expected_given);
    free(recon);
    titok_model_free(model);
}

static float max_abs_diff(const float *a, const float *b, size_t count) {
    float worst = 0;
    for (size_t i = 0; i < count; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= worst)) worst = d; /* NaN propagates */
    }
    return worst;
}

static void test_vae(void) {
    titok_model *model = NULL;
    CHECK_OK(open_data_model("vae.tzw", &model));
    if (!model) return;
    titok_model_info info = get_info(model);
    CHECK(strcmp(info.variant, "tiny_vae_r64_t32") == 0);
    CHECK(info.is_vae == 1 && info.codebook_size == 0 && info.resolution == 64 && info.num_tokens == 32);
    CHECK(info.token_dim == 16);

    const size_t batch = 2, r = 64, n = 32, c = 16;
    uint8_t images[64 * 64 * 3] = {0};
    int32_t tokens[32] = {0};
    CHECK_FAILS(titok_encode(model, images, 1, tokens), TITOK_E_INVALID_ARGUMENT, "titok_encode_latents");
    CHECK_FAILS(titok_decode(model, tokens, 1, images), TITOK_E_INVALID_ARGUMENT, "titok_decode_latents");

    float *pixels = read_exact("vae.pixel_values_f32", batch * 3 * r * r * 4);
    float *mean = read_exact("vae.posterior_mean_f32", batch * c * n * 4);
    float *decoded = read_exact("vae.decoded_f32", batch * 3 * r * r * 4);
    float *latents = malloc(batch * c * n * 4);
    float *out = malloc(batch * 3 * r * r * 4);
    if (pixels && mean && decoded && latents && out) {
        /* an ABI plumbing check (layout, batch order); numeric accuracy is held by the Swift tests */
        CHECK_OK(titok_encode_latents(model, pixels, batch, latents));
        CHECK(max_abs_diff(latents, mean, batch * c * n) < 1e-4f);
        CHECK_OK(titok_decode_latents(model, mean, batch, out));
        CHECK(max_abs_diff(out, decoded, batch * 3 * r * r) < 1e-4f);
        CHECK_FAILS(titok_encode_latents(model, pixels, 0, latents), TITOK_E_INVALID_ARGUMENT, "batch is 0");
        CHECK_FAILS(titok_encode_latents(model, pixels, 1, NULL), TITOK_E_INVALID_ARGUMENT, "latents_out is NULL");
        CHECK_FAILS(titok_decode_latents(model, mean, 1, NULL), TITOK_E_INVALID_ARGUMENT, "pixels_out is NULL");
    }
    free(pixels);
    free(mean);
    free(decoded);
    free(latents);
    free(out);
    titok_model_free(model);
}

static void test_generator(void) {
    titok_model *model = NULL;
    CHECK_OK(open_data_model("generator.tzw", &model));
    if (!model) return;
    titok_model_kind kind = TITOK_KIND_TOKENIZER;
    CHECK_OK(titok_model_get_kind(model, &kind));
    CHECK(kind == TITOK_KIND_GENERATOR);
    CHECK_FAILS(titok_model_get_kind(model, NULL), TITOK_E_INVALID_ARGUMENT, "out is NULL");
    titok_model_info info = get_info(model);
    CHECK(strcmp(info.variant, "tiny_gen_bert_t32") == 0);
    CHECK(info.resolution == 0 && info.token_dim == 0 && info.is_vae == 0);
    CHECK(info.num_tokens == 32 && info.codebook_size > 0);
    uint8_t images[64 * 64 * 3] = {0};
    int32_t tokens[32] = {0};
    float values[64] = {0};
    CHECK_FAILS(titok_encode(model, images, 1, tokens), TITOK_E_INVALID_ARGUMENT, "is a generator");
    CHECK_FAILS(titok_decode(model, tokens, 1, images), TITOK_E_INVALID_ARGUMENT, "is a generator");
    CHECK_FAILS(titok_encode_latents(model, values, 1, values), TITOK_E_INVALID_ARGUMENT, "is a generator");
    CHECK_FAILS(titok_decode_latents(model, values, 1, values), TITOK_E_INVALID_ARGUMENT, "is a generator");
    CHECK_FAILS(titok_model_warm_up(model), TITOK_E_INVALID_ARGUMENT, "is a generator");
    titok_model_free(model);
}

/* Generation through the C ABI: the fixture generator with the paired tokenizer fixture gives the
 * reference's tokens (constant guidance 3.0, 8 steps, no noise) and images; every argument checked. */
static void test_generate(void) {
    char path[4096];
    path_in(path, sizeof path, data_dir, "generator.tzw");
    titok_generator *gen = NULL;
    CHECK_OK(titok_generator_open(path, NULL, &gen));
    titok_model *tokenizer = NULL, *other = NULL;
    CHECK_OK(open_data_model("legacy.tzw", &tokenizer));
    CHECK_OK(open_data_model("vq.tzw", &other));
    int32_t *labels = read_exact("generator.labels_i32", 3 * sizeof(int32_t));
    int32_t *expected = read_exact("generator.constant_g3_s8_i32", 3 * 32 * sizeof(int32_t));
    uint8_t *image = read_exact("generator.image_u8", 3 * 64 * 64 * 3);
    if (gen && tokenizer && other && labels && expected && image) {
        int32_t n = 0, k = 0, m = 0;
        CHECK_OK(titok_generator_get_info(gen, &n, &k, &m));
        CHECK(n == 32 && k == 4096 && m == 1000);
        CHECK(titok_sizeof_generate_params() == sizeof(titok_generate_params));

        titok_generate_params p;
        titok_generate_params_default(&p);
        CHECK(p.struct_size == sizeof p);
        p.steps = 8;
        p.guidance_scale = 3.0;
        p.guidance_decay = TITOK_GUIDANCE_CONSTANT;
        p.softmax_temperature_annealing = 0;
        p.randomize_temperature = 0.0;
        int32_t tokens[3 * 32];
        CHECK_OK(titok_generate(gen, tokenizer, labels, 3, &p, tokens));
        CHECK(memcmp(tokens, expected, sizeof tokens) == 0);
        uint8_t decoded[3 * 64 * 64 * 3];
        CHECK_OK(titok_decode(tokenizer, tokens, 3, decoded));
        CHECK(max_grey_diff(decoded, image, sizeof decoded) <= 1);

        /* Seeded noise: the same seed gives the same tokens, another seed (almost surely) others. */
        p.randomize_temperature = 2.5;
        p.seed = 11;
        int32_t a[3 * 32], b[3 * 32], c[3 * 32];
        CHECK_OK(titok_generate(gen, NULL, labels, 3, &p, a));
        CHECK_OK(titok_generate(gen, NULL, labels, 3, &p, b));
        p.seed = 12;
        CHECK_OK(titok_generate(gen, NULL, labels, 3, &p, c));
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK(memcmp(a, c, sizeof a) != 0);
        CHECK_OK(titok_generate(gen, NULL, labels, 1, NULL, a)); /* the generator's own defaults */

        /* Errors. */
        int32_t bad_label = 1000;
        CHECK_FAILS(titok_generate(NULL, NULL, labels, 1, &p, a), TITOK_E_INVALID_ARGUMENT, "NULL");
        CHECK_FAILS(titok_generate(gen, NULL, NULL, 1, &p, a), TITOK_E_INVALID_ARGUMENT, "labels");
        CHECK_FAILS(titok_generate(gen, NULL, labels, 1, &p, NULL), TITOK_E_INVALID_ARGUMENT, "tokens_out");
        CHECK_FAILS(titok_generate(gen, NULL, labels, 0, &p, a), TITOK_E_INVALID_ARGUMENT, "batch");
        CHECK(titok_generate(gen, NULL, &bad_label, 1, &p, a) == TITOK_E_INVALID_ARGUMENT);
        CHECK(strstr(titok_last_error(), "1000") != NULL);
        titok_generate_params q = p;
        q.steps = 0;
        CHECK(titok_generate(gen, NULL, labels, 1, &q, a) == TITOK_E_INVALID_ARGUMENT);
        q = p;
        q.guidance_decay = 7;
        CHECK(titok_generate(gen, NULL, labels, 1, &q, a) == TITOK_E_INVALID_ARGUMENT);
        q = p;
        q.struct_size = 4;
        CHECK(titok_generate(gen, NULL, labels, 1, &q, a) == TITOK_E_INVALID_ARGUMENT);
        /* A tokenizer of another codebook (8192 codes, 16 tokens) cannot decode these ids. */
        CHECK(titok_generate(gen, other, labels, 1, &p, a) == TITOK_E_INVALID_ARGUMENT);
        CHECK(strstr(titok_last_error(), "codebook") != NULL || strstr(titok_last_error(), "tokens") != NULL);
        /* A tokenizer file is not a generator. */
        titok_generator *wrong = NULL;
        path_in(path, sizeof path, data_dir, "legacy.tzw");
        CHECK(titok_generator_open(path, NULL, &wrong) == TITOK_E_INVALID_ARGUMENT);
        CHECK(wrong == NULL);
    }
    free(labels);
    free(expected);
    free(image);
    titok_model_free(tokenizer);
    titok_model_free(other);
    titok_generator_free(gen);
    titok_generator_free(NULL); /* no-op */
}

/* ---- eight threads, one handle ---- */

#define THREADS 8
#define ROUNDS 3

struct thread_job {
    titok_model *model;
    const uint8_t *images;
    const int32_t *reference_tokens;
    const uint8_t *reference_recon; /* one-thread batch-1 decodings of the two images */
    int index;
    int mismatches;
    int errors;
};

static void *encode_decode_worker(void *arg) {
    struct thread_job *job = arg;
    const size_t image_bytes = 64 * 64 * 3;
    int32_t tokens[64];
    for (int round = 0; round < ROUNDS; round++) {
        if (titok_encode(job->model, job->images, 2, tokens) != TITOK_OK) job->errors++;
        else if (memcmp(tokens, job->reference_tokens, sizeof tokens) != 0) job->mismatches++;
    }
    uint8_t *recon = malloc(image_bytes);
    int which = job->index % 2;
    if (!recon || titok_decode(job->model, job->reference_tokens + 32 * which, 1, recon) != TITOK_OK) job->errors++;
    else if (memcmp(recon, job->reference_recon + image_bytes * which, image_bytes) != 0) job->mismatches++;
    free(recon);
    /* a failure on this thread leaves its own message */
    if (titok_encode(job->model, job->images, 0, tokens) != TITOK_E_INVALID_ARGUMENT ||
        strstr(titok_last_error(), "batch is 0") == NULL)
        job->errors++;
    return NULL;
}

/* Eight threads share one handle: same tokens and images as one thread. */
static void test_threads(void) {
    titok_model *model = NULL;
    CHECK_OK(open_data_model("legacy.tzw", &model));
    uint8_t *images = read_exact("legacy.image_u8", 2 * 64 * 64 * 3);
    uint8_t *recon = malloc(2 * 64 * 64 * 3);
    if (model && images && recon) {
        int32_t reference[64];
        CHECK_OK(titok_encode(model, images, 2, reference));
        /* batch-1 decodes: a batch of 2 may round differently in the last bit */
        CHECK_OK(titok_decode(model, reference, 1, recon));
        CHECK_OK(titok_decode(model, reference + 32, 1, recon + 64 * 64 * 3));
        struct thread_job jobs[THREADS];
        pthread_t threads[THREADS];
        for (int i = 0; i < THREADS; i++) {
            jobs[i] = (struct thread_job){model, images, reference, recon, i, 0, 0};
            CHECK(pthread_create(&threads[i], NULL, encode_decode_worker, &jobs[i]) == 0);
        }
        for (int i = 0; i < THREADS; i++) {
            CHECK(pthread_join(threads[i], NULL) == 0);
            CHECK(jobs[i].mismatches == 0);
            CHECK(jobs[i].errors == 0);
        }
    }
    free(images);
    free(recon);
    titok_model_free(model);
}

static void test_images(void) {
    char path[4096];
    uint8_t *expected = read_exact("legacy.image_u8", 2 * 64 * 64 * 3);
    uint8_t *rgb = malloc(64 * 64 * 3);
    if (expected && rgb) {
        path_in(path, sizeof path, fixture_dir, "input_1.png");
        CHECK_OK(titok_image_load_rgb(path, 64, rgb));
        CHECK(memcmp(rgb, expected + 64 * 64 * 3, 64 * 64 * 3) == 0);
        CHECK_FAILS(titok_image_load_rgb(path, 0, rgb), TITOK_E_INVALID_ARGUMENT, "resolution");
        CHECK_FAILS(titok_image_load_rgb(path, 64, NULL), TITOK_E_INVALID_ARGUMENT, "rgb_out is NULL");
        CHECK_FAILS(titok_image_load_rgb(NULL, 64, rgb), TITOK_E_INVALID_ARGUMENT, "path is NULL");
        path_in(path, sizeof path, data_dir, "missing.png");
        CHECK_FAILS(titok_image_load_rgb(path, 64, rgb), TITOK_E_IO, "missing.png");
        path_in(path, sizeof path, data_dir, "garbage.tzw");
        CHECK_FAILS(titok_image_load_rgb(path, 64, rgb), TITOK_E_FORMAT, "garbage.tzw");
    }
    free(expected);
    free(rgb);
}

struct section {
    const char *name;
    void (*run)(void);
};

int main(int argc, char **argv) {
    static const struct section sections[] = {
        {"basics", test_basics}, {"errors", test_errors}, {"legacy", test_legacy}, {"vq", test_vq},
        {"vae", test_vae},       {"generator", test_generator}, {"generate", test_generate},
        {"threads", test_threads},
        {"images", test_images},
    };
    const size_t count = sizeof sections / sizeof sections[0];
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATA_DIR FIXTURE_DIR [section...]\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    fixture_dir = argv[2];
    for (size_t i = 0; i < count; i++) {
        int selected = argc == 3;
        for (int a = 3; a < argc; a++) selected |= strcmp(argv[a], sections[i].name) == 0;
        if (!selected) continue;
        int before = failures;
        sections[i].run();
        printf("%-8s %s\n", sections[i].name, failures == before ? "ok" : "FAILED");
    }
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
