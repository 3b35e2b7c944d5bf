import ArgumentParser
import Foundation
import HearthServices
import HearthStore
import Logging

/// `hearthd`: the Hearth daemon. Run without a subcommand it serves; `hearthd token …`
/// manages the API tokens of its data directory.
@main
struct Hearthd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hearthd",
        abstract: "Hearth: a single-host Function-as-a-Service daemon (OpenStack Qinling v1 API).",
        discussion: """
            Serves the API on a Unix socket (trusted: callers are admin of the project in \
            X-Project-Id) and on TCP (callers need an X-Auth-Token from `hearthd token create`). \
            SIGTERM or SIGINT stops it cleanly.
            """,
        subcommands: [TokenCommand.self, CredentialCommand.self, SandboxCommand.self]
    )

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let config: DaemonConfig
        do {
            config = try DaemonConfig(options)
        } catch {
            throw ValidationError(error.description)
        }
        try await Daemon(config: config).run()
    }
}
