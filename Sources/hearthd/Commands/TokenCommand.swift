import ArgumentParser
import Foundation
import HearthCore
import HearthServices
import HearthStore

/// `hearthd token create|list|revoke`: API tokens for the TCP listener. Works while the
/// daemon runs (SQLite in WAL mode lets both open the store).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; prints its secret (shown only this once) on stdout."
        )
        @OptionGroup var store: StoreOptions
        @Option(help: "The project the token acts in.") var project: String
        @Flag(help: "Admin role: runtime writes, the pool, other projects by id and all_projects lists.") var admin = false
        @Option(help: "A note to recognise the token by.") var description: String?

        func run() async throws {
            let tokens = TokenService(store: try store.open())
            let (token, secret) = try await tokens.create(projectID: project, isAdmin: admin, description: description)
            FileHandle.standardError.write(Data("token \(token.id) for project \(token.projectID)\(admin ? " (admin)" : ""); the secret is not shown again\n".utf8))
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, projects, roles; never secrets).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let tokens = try await TokenService(store: try store.open()).list()
            print("id        project                          role   created              description")
            for token in tokens {
                let project = token.projectID.padding(toLength: 32, withPad: " ", startingAt: 0)
                print("\(token.id)  \(project) \(token.isAdmin ? "admin " : "member") \(Timestamp.format(token.createdAt))  \(token.description ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token, named by its id or its secret.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Token id (from `token list`) or secret.") var token: String

        func run() async throws {
            guard try await TokenService(store: try store.open()).revoke(token) else {
                throw ValidationError("no token with that id or secret")
            }
            print("revoked")
        }
    }
}

extension StoreOptions {
    func open() throws -> Store {
        let file: ConfigFile
        do {
            file = try config.map { path throws(ConfigError) in try ConfigFile(path: path) } ?? ConfigFile()
        } catch {
            throw ValidationError(error.description)
        }
        return try Store(directory: DaemonConfig.dataDirectory(dataDir ?? file.dataDir))
    }
}
