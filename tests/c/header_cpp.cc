// The header compiled as C++ (tests/c/run.sh): extern "C" linkage, and the struct layout as C sees it.
#include "titok.h"

#include <cstddef>
#include <cstdio>
#include <cstring>

static_assert(sizeof(titok_options) == 8, "titok_options v1 layout");
static_assert(sizeof(titok_model_info) == 88, "titok_model_info v1 layout");
static_assert(offsetof(titok_model_info, variant) == 4, "variant offset");
static_assert(offsetof(titok_model_info, resolution) == 68, "resolution offset");
static_assert(offsetof(titok_model_info, is_vae) == 84, "is_vae offset");

int main() {
    titok_options opts;
    titok_options_default(&opts);
    titok_model *model = nullptr;
    titok_status status = titok_model_open(nullptr, &opts, &model);
    bool ok = titok_abi_version() == TITOK_ABI_VERSION && opts.struct_size == sizeof opts &&
              titok_sizeof_model_info() == sizeof(titok_model_info) &&
              status == TITOK_E_INVALID_ARGUMENT && model == nullptr &&
              std::strstr(titok_last_error(), "path is NULL") != nullptr;
    std::printf("c++      %s (libtitok %s)\n", ok ? "ok" : "FAILED", titok_version());
    return ok ? 0 : 1;
}
