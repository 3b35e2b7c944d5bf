import ArgumentParser
import Foundation
import HearthCore
import HearthServices

/// `hearthd credential create|list|revoke`: FunctionGraph access/secret key pairs (AK/SK) for
/// the TCP listener's `/v2` API, one project each. The secret is printed once and stored
/// sealed under `credentials.key` in the data directory (mode 0600): back that file up with
/// the database, or existing pairs stop working.
struct CredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential",
        abstract: "Create, list and revoke FunctionGraph AK/SK credentials (of the --data-dir / --config data directory).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an AK/SK pair; prints `<access key> <secret key>` on stdout (the secret only this once)."
        )
        @ParentCommand var hearthd: Hearthd
        @Option(help: "The project the pair acts in (the {project_id} of /v2/{project_id}/fgs paths).") var project: String
        @Option(help: "A note to recognise the pair by.") var description: String?

        func run() async throws {
            let credentials = CredentialService(store: try hearthd.openStore())
            let (credential, secret) = try await credentials.create(projectID: project, description: description)
            FileHandle.standardError.write(Data("access key \(credential.accessKey) for project \(credential.projectID); the secret key is not shown again\n".utf8))
            print("\(credential.accessKey) \(secret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List access keys and their projects (never secrets).")
        @ParentCommand var hearthd: Hearthd

        func run() async throws {
            let credentials = try await CredentialService(store: try hearthd.openStore()).list()
            print("access key            project                          created              description")
            for credential in credentials {
                let project = credential.projectID.padding(toLength: 32, withPad: " ", startingAt: 0)
                print("\(credential.accessKey)  \(project) \(Timestamp.format(credential.createdAt))  \(credential.description ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an access key.")
        @ParentCommand var hearthd: Hearthd
        @Argument(help: "The access key (from `credential list`).") var accessKey: String

        func run() async throws {
            guard try await CredentialService(store: try hearthd.openStore()).revoke(accessKey: accessKey) else {
                throw ValidationError("no credential with that access key")
            }
            print("revoked")
        }
    }
}
