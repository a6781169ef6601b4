// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "remedy",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "remedy", targets: ["remedy"]),
        // Benchmarks/README.md: build with -c release and run on an idle machine.
        .executable(name: "remedy-benchmark", targets: ["RemedyBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libpq, the only C in the package.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // A small, safe Swift layer over libpq. No other module touches a C pointer.
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]
        ),
        // Exact money: integer sen, checked arithmetic, rupiah as people write it.
        .target(name: "Rupiah", dependencies: ["Postgres"]),
        // Throwaway PostgreSQL clusters for tests and `remedy demo`.
        .target(
            name: "EphemeralPostgres",
            dependencies: ["Postgres", .product(name: "Logging", package: "swift-log")]
        ),
        // The remediation pipeline: money, job specs, detect → plan → approve → apply → verify → export.
        .target(
            name: "RemedyCore",
            dependencies: [
                "Postgres", "Rupiah",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The incident simulator: a shop schema and a replayed, deterministic history with its truth.
        .target(
            name: "ShopSimulator",
            dependencies: ["Postgres", "Rupiah", .product(name: "Logging", package: "swift-log")]
        ),
        // The command line: parses and prints, holds no logic.
        .executableTarget(
            name: "remedy",
            dependencies: [
                "RemedyCore", "ShopSimulator", "EphemeralPostgres", "Postgres", "Rupiah",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The 1,000,000-user benchmark (Benchmarks/): one throwaway cluster, the real `remedy` binary as a child.
        .executableTarget(
            name: "RemedyBenchmark",
            dependencies: [
                "EphemeralPostgres", "ShopSimulator", "RemedyCore", "Postgres", "Rupiah",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/RemedyBenchmark"
        ),
        // Shared by the test targets: one throwaway cluster per test process, a database per test.
        .target(
            name: "TestSupport",
            dependencies: ["EphemeralPostgres", "Postgres", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "RupiahTests", dependencies: ["Rupiah"]),
        .testTarget(
            name: "PostgresTests",
            // Rupiah: a binary COPY's numeric read into Money, against the server's own encoding.
            dependencies: ["Postgres", "Rupiah", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "EphemeralPostgresTests",
            dependencies: ["EphemeralPostgres", "Postgres", .product(name: "Logging", package: "swift-log")]
        ),
        // Unit tests: no database; folders mirror Sources/RemedyCore.
        .testTarget(name: "RemedyUnitTests", dependencies: ["RemedyCore", "Rupiah", "TestSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]),
        // Tests that need a cluster (a database per test), by the pipeline step they exercise.
        .testTarget(name: "RemedyCoreTests", dependencies: ["RemedyCore", "Rupiah", "TestSupport", "ShopSimulator", "Postgres"]),
        .testTarget(name: "ShopSimulatorTests", dependencies: ["ShopSimulator", "TestSupport", "Rupiah", "Postgres"]),
        .testTarget(name: "RemedyEndToEndTests", dependencies: ["TestSupport", "ShopSimulator", "RemedyCore", "Postgres", "Rupiah"]),
    ]
)
