import ServiceLifecycle

/// The HTTP applications as one service, so that SIGTERM reaches them at the same moment: a
/// ServiceGroup stops its services one after another, and the Unix socket would go on
/// accepting while the TCP face drained its calls. `onStop` runs when the stop begins.
struct Listeners: Service {
    let applications: [any Service]
    let onStop: @Sendable () -> Void

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for application in applications {
                    group.addTask { try await application.run() }
                }
            }
        } onGracefulShutdown: {
            onStop()
        }
    }
}
