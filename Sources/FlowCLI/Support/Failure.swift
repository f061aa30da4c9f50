import ArgumentParser
import FlowIngest
import FlowStore
import Foundation

/// Exit codes (sysexits.h), set only here: the libraries throw domain errors, the CLI maps them.
enum ExitStatus {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let busy: Int32 = 75
    static let software: Int32 = 70
}

/// A failure the CLI reports with a message and a specific exit code.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }
}

/// Runs a command body, printing domain errors to stderr and turning them into their exit codes.
func withExitCodes(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as IngestError {
        Console.current.err("error: \(e)\n")
        throw ExitCode(e.code == .missingFile ? ExitStatus.noInput : e.code == .unreachable ? ExitStatus.unavailable : ExitStatus.dataError)
    } catch let e as StoreError {
        Console.current.err("error: \(e)\n")
        throw ExitCode(e.isBusy ? ExitStatus.busy : (e.resultCode == 19 ? ExitStatus.dataError : ExitStatus.ioError))
    } catch let e as CLIFailure {
        Console.current.err("error: \(e.message)\n")
        throw ExitCode(e.exitCode)
    }
}
