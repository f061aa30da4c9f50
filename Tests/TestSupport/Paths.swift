import Foundation

/// Locations of fixtures and shared real data, found from this file's path so tests run from any directory.
public enum Paths {
    /// The project root (the folder holding Package.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Fixtures/` in the project.
    public static let fixtures = root.appendingPathComponent("Fixtures")

    /// `../shared/data/` next to the project (real chain data with provenance), or `$FLOWTRACE_SHARED_DATA`.
    public static let sharedData: URL = {
        if let override = ProcessInfo.processInfo.environment["FLOWTRACE_SHARED_DATA"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return root.deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    public static func shared(_ relative: String) -> String { sharedData.appendingPathComponent(relative).path }
    public static func fixture(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    /// Every real raw block file (one block each), sorted.
    public static var rawBlockFiles: [String] {
        let dir = sharedData.appendingPathComponent("btc/raw-blocks")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".raw") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    /// Every real blk*.dat-framed file, sorted.
    public static var blkFiles: [String] {
        let dir = sharedData.appendingPathComponent("btc/blk-files")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(".blk") }.sorted().map { dir.appendingPathComponent($0).path }
    }
}

/// A fresh temporary directory, removed when the value is dropped by `withTemporaryDirectory`.
public func withTemporaryDirectory<T>(_ body: (URL) throws -> T) rethrows -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// The real blocks of `../shared/data/btc/` with the facts its README table states about them.
public struct KnownBlock: Sendable {
    public var file: String
    public var height: Int?
    public var hash: String
    public var transactions: Int
}

public enum RealData {
    /// The README table of `../shared/data/btc/raw-blocks`.
    public static let rawBlocks: [KnownBlock] = [
        KnownBlock(file: "block-169482.raw", height: 169482, hash: "0000000000000756935f1ee9d5987857b604046f846d3df56d024cdb5f368665", transactions: 14),
        KnownBlock(file: "block-227835.raw", height: 227835, hash: "00000000000001aa077d7aa84c532a4d69bdbff519609d1da0835261b7a74eb6", transactions: 122),
        KnownBlock(file: "block-227836.raw", height: 227836, hash: "00000000000000d0dfd4c9d588d325dce4f32c1b31b7c0064cba7025a9b9adcc", transactions: 100),
        KnownBlock(file: "block-363703.raw", height: 363703, hash: "0000000000000000011b2a4cb91b63886ffe0d2263fd17ac5a9b902a219e0a14", transactions: 587),
        KnownBlock(file: "block-370661.raw", height: 370661, hash: "00000000000000001416a613602d73bbe5c79170fd8f39d509896b829cf9021e", transactions: 708),
        KnownBlock(file: "block-383616.raw", height: 383616, hash: "00000000000000000aab6a2b34e979b09ca185584bd1aecf204f24d150ff55e9", transactions: 1731),
        KnownBlock(file: "block-413567.raw", height: 413567, hash: "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069", transactions: 1557),
        KnownBlock(file: "block-481815.raw", height: 481815, hash: "000000000000000000893c019d81f2d48ee33892c12428f3121bbd16ed6db926", transactions: 2097),
        KnownBlock(file: "block-481829.raw", height: 481829, hash: "000000000000000000917cba69f69b758fe396c8e30ae97bbcf08c4eb975e726", transactions: 2020),
        KnownBlock(file: "block-540107.raw", height: 540107, hash: "00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab", transactions: 230),
        KnownBlock(file: "block-574200.raw", height: 574200, hash: "0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2", transactions: 3315),
        KnownBlock(file: "block-702861.raw", height: 702861, hash: "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae", transactions: 2500),
    ]
}
