import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// Every service of one daemon, built over one store: what the API is given.
public struct Hearth: Sendable {
    public let runtimes: RuntimeService
    public let functions: FunctionService
    public let executions: ExecutionService
    public let tokens: TokenService
    public let aliases: AliasService
    public let jobs: JobService
    public let jobScheduler: JobScheduler
    public let webhooks: WebhookService
    public let functionGraph: FunctionGraph
    public let settings: ServiceSettings

    /// `pool` is nil only where no sandbox can be made (unit tests); executions then fail.
    public init(store: Store, settings: ServiceSettings, pool: WorkerPool?, logger: Logger) {
        self.settings = settings
        runtimes = RuntimeService(store: store, catalog: RuntimeCatalog(directory: settings.runtimesDirectory), pool: pool, logger: logger)
        functions = FunctionService(store: store, settings: settings, pool: pool, logger: logger)
        executions = ExecutionService(store: store, functions: functions, pool: pool, logger: logger)
        tokens = TokenService(store: store)
        aliases = AliasService(store: store, functions: functions, logger: logger)
        jobs = JobService(store: store, functions: functions, logger: logger)
        jobScheduler = JobScheduler(store: store, executions: executions, logger: logger)
        webhooks = WebhookService(store: store, functions: functions, executions: executions, logger: logger)
        functionGraph = FunctionGraph(
            store: store, settings: settings, functions: functions, executions: executions, aliases: aliases, pool: pool, logger: logger
        )
    }
}
