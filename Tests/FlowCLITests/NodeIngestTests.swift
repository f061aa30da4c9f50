import FlowCore
import FlowIngest
import FlowStore
import Foundation
import Testing
import TestSupport

/// A throwaway `litecoind` (Bitcoin Core fork, same JSON-RPC and block format) in regtest on 127.0.0.1.
final class RegtestNode {
    let dataDir: URL
    let port: Int
    let process = Process()
    var rpc: JSONRPCClient!

    static var binary: String? {
        ["/usr/bin/litecoind", "/usr/local/bin/litecoind"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// - Parameter cookie: authenticate with the `.cookie` file the node writes instead of a user and password.
    init(cookie: Bool = false) throws {
        guard let binary = RegtestNode.binary else { throw IngestError(.missingFile, "litecoind is not installed") }
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-regtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        port = RegtestNode.freePort()
        process.executableURL = URL(fileURLWithPath: binary)
        // MWEB (Litecoin's extension blocks) would activate at height 432 in regtest; keep it off so blocks stay
        // in Bitcoin's serialisation.
        process.arguments = ["-regtest", "-datadir=\(dataDir.path)", "-server=1", "-listen=0", "-connect=0", "-dnsseed=0",
                             "-discover=0", "-upnp=0", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", "-rpcport=\(port)",
                             "-fallbackfee=0.0002", "-printtoconsole=0",
                             "-vbparams=mweb:4000000000:4000000001"] + (cookie ? [] : ["-rpcuser=u", "-rpcpassword=p"])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if cookie {
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: cookiePath) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            rpc = try JSONRPCClient(url: URL(string: "http://127.0.0.1:\(port)/")!, cookieFile: cookiePath)
        } else {
            rpc = try JSONRPCClient(url: URL(string: "http://127.0.0.1:\(port)/")!, user: "u", password: "p")
        }
        try rpc.waitUntilReady(timeout: 60)
    }

    var cookiePath: String { dataDir.appendingPathComponent("regtest/.cookie").path }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            _ = try? rpc.call("stop")
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dataDir)
    }

    /// Calls a wallet method on `wallet`.
    func wallet(_ wallet: String, _ method: String, _ params: [JSONValue] = []) throws -> JSONValue {
        try JSONRPCClient(url: URL(string: "http://127.0.0.1:\(port)/wallet/\(wallet)")!, user: "u", password: "p").call(method, params)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Runs where litecoind is installed, and always in CI (where `.ci/run` installs it), so a missing node fails there.
@Suite("Live node ingest", .serialized, .enabled(if: RegtestNode.binary != nil || ProcessInfo.processInfo.environment["CI"] != nil))
struct NodeIngestTests {
    private func sats(_ v: JSONValue) throws -> String {
        let text = try #require(v.numberText)
        return try #require(Amount(decimal: text, decimals: 8)).description
    }

    @Test func ingestFromARegtestNodeMatchesTheNodesBalancesAndResumes() throws {
        let node = try RegtestNode()
        defer { node.stop() }
        _ = try node.rpc.call("createwallet", [.string("miner")])
        _ = try node.rpc.call("createwallet", [.string("recv")])
        let mine = try #require(try node.wallet("miner", "getnewaddress", [.string(""), .string("bech32")]).stringValue)
        var receivers: [String] = []
        for type in ["legacy", "p2sh-segwit", "bech32", "bech32", "legacy"] {
            receivers.append(try #require(try node.wallet("recv", "getnewaddress", [.string(""), .string(type)]).stringValue))
        }
        _ = try node.rpc.call("generatetoaddress", [.number("101"), .string(mine)])
        _ = try node.wallet("miner", "sendtoaddress", [.string(receivers[0]), .number("1.5")])
        _ = try node.wallet("miner", "sendmany", [.string(""), .object([receivers[1]: .number("0.1"), receivers[2]: .number("0.2"),
                                                                             receivers[3]: .number("0.30000001")])])
        _ = try node.rpc.call("generatetoaddress", [.number("1"), .string(mine)])
        _ = try node.wallet("miner", "sendtoaddress", [.string(receivers[2]), .number("0.05")])
        _ = try node.rpc.call("generatetoaddress", [.number("1"), .string(mine)])

        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("node.sqlite").path
            let args = ["ingest", "btc-node", "--rpc-url", "http://127.0.0.1:\(node.port)", "--rpc-user", "u", "--rpc-password", "p",
                        "--db", db, "--batch", "7"]
            let first = runCLI(args)
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(first.stderr.contains("ingested 104 blocks"), "\(first.stderr)")

            func checkBalances() throws {
                let store = try Store(path: db, readOnly: true)
                var total = Int128(0)
                for address in receivers {
                    // Litecoin's address prefixes differ from Bitcoin's: compare through the script.
                    let info = try node.rpc.call("validateaddress", [.string(address)])
                    let scriptHex = try #require(info["scriptPubKey"]?.stringValue)
                    let script = try #require(Hex.decode(scriptHex))
                    let ours = ScriptAddress(script: script, network: .regtest).text
                    let received = try sats(node.wallet("recv", "getreceivedbyaddress", [.string(address)]))
                    let history = try store.addressHistory(ours)
                    #expect((history?.received ?? "0") == received, "\(address) → \(ours)")
                    let unspent = try node.wallet("recv", "listunspent", [.number("0"), .number("9999999"), .array([.string(address)])])
                    var utxo = Int128(0)
                    for u in unspent.arrayValue ?? [] {
                        let text = try #require(u["amount"]?.numberText)
                        utxo += try #require(Amount(decimal: text, decimals: 8)).baseUnits
                    }
                    #expect((history?.balance ?? "0") == String(utxo), "\(address)")
                    total += Int128(history?.balance ?? "0") ?? 0
                }
                #expect(String(total) == (try sats(node.wallet("recv", "getbalance"))))
                #expect(try store.stats().unresolvedInputs == 0)
                #expect(try store.stats().transactionsWithUnknownFee == 0)
                #expect(try store.stats().maxHeight == (try node.rpc.call("getblockcount").int64Value))
            }
            try checkBalances()

            // More blocks: a second run ingests only the new ones.
            _ = try node.wallet("miner", "sendtoaddress", [.string(receivers[4]), .number("2.25")])
            _ = try node.rpc.call("generatetoaddress", [.number("2"), .string(mine)])
            let second = runCLI(args)
            #expect(second.exitCode == 0, "\(second.stderr)")
            #expect(second.stderr.contains("ingested 2 blocks (0 already stored)"), "\(second.stderr)")
            try checkBalances()
            let third = runCLI(args)
            #expect(third.exitCode == 0)
            #expect(third.stderr.contains("nothing to ingest"), "\(third.stderr)")
        }
    }

    @Test func cookieAuthentication() throws {
        let node = try RegtestNode(cookie: true)
        defer { node.stop() }
        _ = try node.rpc.call("createwallet", [.string("w")])
        let address = try #require(try node.rpc.call("getnewaddress").stringValue)
        _ = try node.rpc.call("generatetoaddress", [.number("3"), .string(address)])
        withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("c.sqlite").path
            let run = runCLI(["ingest", "btc-node", "--rpc-url", "http://127.0.0.1:\(node.port)", "--rpc-cookie", node.cookiePath, "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stderr.contains("ingested 4 blocks"))
            let refused = runCLI(["ingest", "btc-node", "--rpc-url", "http://127.0.0.1:\(node.port)", "--rpc-user", "x",
                                  "--rpc-password", "wrong", "--db", db])
            #expect(refused.exitCode == 65)
            #expect(refused.stderr.contains("refused the credentials"))
        }
        // The curl transport (what https endpoints use) reaches the same node and gets the same answers.
        let viaCurl = try JSONRPCClient(url: URL(string: "http://127.0.0.1:\(node.port)/")!, cookieFile: node.cookiePath, transport: .curl)
        #expect(try viaCurl.call("getblockcount").int64Value == 3)
        #expect(try viaCurl.batch([("getblockhash", [.number("1")]), ("getblockhash", [.number("2")])]).map(\.stringValue)
                == [node.rpc.call("getblockhash", [.number("1")]).stringValue, node.rpc.call("getblockhash", [.number("2")]).stringValue])
        let wrong = try JSONRPCClient(url: URL(string: "http://127.0.0.1:\(node.port)/")!, user: "x", password: "wrong", transport: .curl)
        #expect(throws: IngestError.self) { try wrong.call("getblockcount") }
    }

    @Test func unreachableNodeIsAClearError() {
        let port = RegtestNode.freePort()
        let result = runCLI(["ingest", "btc-node", "--rpc-url", "http://127.0.0.1:\(port)", "--db", "/tmp/unused-\(port).sqlite", "--rpc-retries", "1"])
        #expect(result.exitCode == 69)  // EX_UNAVAILABLE: the node could not be reached
        #expect(result.stderr.contains("127.0.0.1:\(port)"))
    }
}
