/* demo.c: encode an image file to tokens and decode it back with libtitok. */
#include <stdio.h>
#include <stdlib.h>

#include "titok.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.tzw IMAGE\n", argv[0]);
        return 2;
    }
    titok_model *model = NULL;
    if (titok_model_open(argv[1], NULL, &model) != TITOK_OK) {
        fprintf(stderr, "cannot open model: %s\n", titok_last_error());
        return 1;
    }
    titok_model_info info = {.struct_size = sizeof info};
    titok_status status = titok_model_get_info(model, &info);
    size_t side = (size_t)info.resolution;
    uint8_t *rgb = malloc(side * side * 3), *recon = malloc(side * side * 3);
    int32_t *tokens = malloc((size_t)info.num_tokens * sizeof *tokens);
    if (!rgb || !recon || !tokens) status = TITOK_E_OUT_OF_MEMORY;
    if (status == TITOK_OK) status = titok_image_load_rgb(argv[2], info.resolution, rgb);
    if (status == TITOK_OK) status = titok_encode(model, rgb, 1, tokens);
    if (status == TITOK_OK) status = titok_decode(model, tokens, 1, recon);
    if (status == TITOK_OK) {
        printf("%s: %d tokens:", info.variant, info.num_tokens);
        for (int32_t i = 0; i < info.num_tokens; i++) printf(" %d", tokens[i]);
        printf("\n");
    } else {
        fprintf(stderr, "%s: %s\n", titok_status_string(status), titok_last_error());
    }
    free(rgb);
    free(recon);
    free(tokens);
    titok_model_free(model);
    return status == TITOK_OK ? 0 : 1;
}
