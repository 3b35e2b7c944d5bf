import HearthPool
import HearthStore
import Logging

/// The services of the FunctionGraph face, over the same store, pool and executions as the
/// Qinling API.
public struct FunctionGraph: Sendable {
    public let functions: FunctionGraphFunctions
    public let invocations: FunctionGraphInvocations
    public let asyncConfigs: AsyncInvokeConfigs
    public let versions: FunctionGraphVersions
    public let credentials: CredentialService

    /// Also installs the async policy (retries, event age, destinations) into `executions`.
    init(
        store: Store, settings: ServiceSettings, functions: FunctionService, executions: ExecutionService, aliases: AliasService,
        pool: WorkerPool?, logger: Logger
    ) {
        let cancels = CancelRegistry()
        self.functions = FunctionGraphFunctions(store: store, functions: functions, settings: settings, pool: pool, logger: logger)
        invocations = FunctionGraphInvocations(store: store, executions: executions, pool: pool, cancels: cancels)
        asyncConfigs = AsyncInvokeConfigs(store: store, functions: self.functions)
        versions = FunctionGraphVersions(store: store, settings: settings, functions: self.functions, aliases: aliases, logger: logger)
        credentials = CredentialService(store: store)
        executions.setAttemptHook(AsyncInvokePolicy(store: store, functions: self.functions, executions: executions, cancels: cancels, logger: logger))
    }
}
