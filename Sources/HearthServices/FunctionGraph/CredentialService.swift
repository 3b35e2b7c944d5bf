import Foundation
import HearthCore
import HearthStore

/// FunctionGraph access/secret key pairs, created by an operator (`hearthd credential create`)
/// for one project. The secret is shown once; the store keeps it sealed (`SecretBox`), whose
/// key is opened on first use.
public struct CredentialService: Sendable {
    let store: Store
    let box: LazySecretBox

    public init(store: Store) {
        self.store = store
        self.box = LazySecretBox(directory: store.directory)
    }

    /// A new pair: a 20-character access key and a 40-character secret key.
    public func create(projectID: String, description: String?) async throws -> (credential: AccessCredential, secret: String) {
        guard FunctionURN.isToken(projectID) else {
            throw ServiceError.invalidInput("project must be 1 to 64 letters, digits, '-', '_' or '.' (it appears in FunctionGraph paths and URNs)")
        }
        let accessKey = Self.random(20, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let secret = Self.random(40, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let credential = AccessCredential(
            accessKey: accessKey, sealedSecret: try box.get().seal(secret, accessKey: accessKey),
            projectID: projectID, description: description, createdAt: Date()
        )
        try await store.insertCredential(credential)
        return (credential, secret)
    }

    /// The project and secret of an access key, or nil if there is none (or it cannot be opened).
    public func secret(accessKey: String) async throws -> (projectID: String, secret: String)? {
        guard let credential = try await store.credential(accessKey: accessKey),
            let secret = try box.get().unseal(credential.sealedSecret, accessKey: accessKey)
        else { return nil }
        return (credential.projectID, secret)
    }

    public func list() async throws -> [AccessCredential] {
        try await store.credentials()
    }

    public func revoke(accessKey: String) async throws -> Bool {
        try await store.deleteCredential(accessKey: accessKey)
    }

    static func random(_ count: Int, alphabet: String) -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters.randomElement(using: &generator)! })
    }
}

/// The data directory's `SecretBox`, opened (or its key file created) on first use rather
/// than at start-up, so that a daemon without credentials never writes the key file.
final class LazySecretBox: @unchecked Sendable {
    private let directory: URL
    private let lock = NSLock()
    private var box: SecretBox?

    init(directory: URL) {
        self.directory = directory
    }

    func get() throws -> SecretBox {
        try lock.withLock {
            if let box { return box }
            let opened = try SecretBox(directory: directory)
            box = opened
            return opened
        }
    }
}
