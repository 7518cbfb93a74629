// swift-tools-version:6.0
import PackageDescription

// Compute modules are optimised in debug builds too, so the test suite runs real-sized work quickly.
let optimize: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "TiTokZoo",
    products: [
        .library(name: "titok", type: .dynamic, targets: ["CTiTok"]),
        .executable(name: "zoo", targets: ["zoo"]),
        .library(name: "ModelZoo", targets: ["ModelZoo", "ModelCatalog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libpng-dev, zlib1g-dev, libturbojpeg0-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),

        // The single-file weight format: reader (mmap), writer, validation, safetensors import.
        .target(name: "WeightFormat", dependencies: ["CZlib"]),
        // Numeric kernels: GEMM (OpenBLAS), norms, activations, attention, convolutions.
        // Hand-vectorised C kernels (AVX-512 matrix product, pointwise activations), chosen at run time.
        // DWARF 4: the valgrind of Debian 12 (3.19) cannot read the DWARF 5 clang writes by default.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno", "-falign-functions=64", "-gdwarf-4"])]),
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"], swiftSettings: optimize),
        // Image files in and out: PNG (libpng), JPEG (libjpeg-turbo), resizing and cropping.
        .target(name: "ImageIO", dependencies: ["CPNG", "CTurboJPEG"]),
        // Registry, model-family plugin protocol, model discovery, shared runtime types.
        .target(name: "ModelZoo", dependencies: ["WeightFormat", "Kernels", "ImageIO"]),
        // The TiTok tokenizer family (legacy VQ, single-stage VQ, VAE).
        .target(name: "TiTokVariants", dependencies: ["ModelZoo", "Kernels", "WeightFormat"], swiftSettings: optimize),
        // The MaskGIT class-conditional token generators (ViT/BERT and UViT).
        .target(name: "MaskGITGenerators", dependencies: ["ModelZoo", "Kernels", "WeightFormat"], swiftSettings: optimize),
        // The list of installed families: the one place a new family is added.
        .target(name: "ModelCatalog", dependencies: ["ModelZoo", "TiTokVariants", "MaskGITGenerators"]),
        // The exported C ABI (include/titok.h), built as libtitok.so.
        .target(name: "CTiTok", dependencies: ["ModelCatalog", "ModelZoo", "ImageIO", "Kernels"]),
        // The command-line tool.
        .executableTarget(
            name: "zoo",
            dependencies: ["ModelCatalog", "ModelZoo", "ImageIO", "WeightFormat",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Timings of the compute kernels on TiTok's shapes (docs/BENCHMARKS.md); not part of the library.
        .executableTarget(
            name: "kernel-bench", dependencies: ["Kernels", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/KernelBench", swiftSettings: optimize),

        .testTarget(name: "WeightFormatTests", dependencies: ["WeightFormat"]),
        .testTarget(name: "TiTokTests", dependencies: ["TiTokVariants", "ModelZoo", "WeightFormat", "Kernels"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "GeneratorTests", dependencies: ["MaskGITGenerators", "TiTokVariants", "ModelZoo", "WeightFormat"]),
        .testTarget(name: "ZooTests", dependencies: ["ModelCatalog", "ModelZoo", "ImageIO", "WeightFormat"]),
    ]
)
