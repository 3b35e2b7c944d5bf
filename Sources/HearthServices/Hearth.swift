import Foundation
import HearthCore
import HearthStore
import Logging

/// Every service of one daemon, built over one store: what the API is given.
public struct Hearth: Sendable {
    public let runtimes: RuntimeService
    public let functions: FunctionService
    public let tokens: TokenService
    public let settings: ServiceSettings

    public init(store: Store, settings: ServiceSettings, logger: Logger) {
        self.settings = settings
        runtimes = RuntimeService(store: store, catalog: RuntimeCatalog(directory: settings.runtimesDirectory), logger: logger)
        functions = FunctionService(store: store, settings: settings, logger: logger)
        tokens = TokenService(store: store)
    }
}
