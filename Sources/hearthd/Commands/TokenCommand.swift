import ArgumentParser
import Foundation
import HearthCore
import HearthServices
import HearthSandbox
import HearthStore

/// `hearthd token create|list|revoke`: API tokens for the TCP listener. Works while the
/// daemon runs (SQLite in WAL mode lets both open the store). The data directory comes from
/// the daemon's own `--data-dir`/`--config`, which may be given before or after `token`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens (of the --data-dir / --config data directory).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; prints its secret (shown only this once) on stdout."
        )
        @ParentCommand var hearthd: Hearthd
        @Option(help: "The project the token acts in.") var project: String
        @Flag(help: "Admin role: runtime writes, the pool, other projects by id and all_projects lists.") var admin = false
        @Option(help: "A note to recognise the token by.") var description: String?

        func run() async throws {
            let tokens = TokenService(store: try hearthd.openStore())
            let (token, secret) = try await tokens.create(projectID: project, isAdmin: admin, description: description)
            FileHandle.standardError.write(Data("token \(token.id) for project \(token.projectID)\(admin ? " (admin)" : ""); the secret is not shown again\n".utf8))
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, projects, roles; never secrets).")
        @ParentCommand var hearthd: Hearthd

        func run() async throws {
            let tokens = try await TokenService(store: try hearthd.openStore()).list()
            print("id        project                          role   created              description")
            for token in tokens {
                let project = token.projectID.padding(toLength: 32, withPad: " ", startingAt: 0)
                print("\(token.id)  \(project) \(token.isAdmin ? "admin " : "member") \(Timestamp.format(token.createdAt))  \(token.description ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token, named by its id or its secret.")
        @ParentCommand var hearthd: Hearthd
        @Argument(help: "Token id (from `token list`) or secret.") var token: String

        func run() async throws {
            guard try await TokenService(store: try hearthd.openStore()).revoke(token) else {
                throw ValidationError("no token with that id or secret")
            }
            print("revoked")
        }
    }
}

extension Hearthd {
    /// The store of the data directory the daemon flags name.
    func openStore() throws -> Store {
        let file: ConfigFile
        do {
            file = try options.config.map { path throws(ConfigError) in try ConfigFile(path: path) } ?? ConfigFile()
        } catch {
            throw ValidationError(error.description)
        }
        let directory = DaemonConfig.dataDirectory(options.dataDir ?? file.dataDir)
        // Run as root on the daemon's data directory: act as its owner (`hearth`), so that what
        // SQLite creates here (WAL, shared memory) stays openable by the daemon.
        try DaemonUser.becomeOwner(of: directory.path)
        return try Store(directory: directory)
    }
}
