import HearthPool
import ServiceLifecycle

/// Retires specialised workers idle longer than the TTL, checking a tenth as often (between
/// every second and every minute). A graceful shutdown cancels it.
struct IdleExpiry: Service {
    let pool: WorkerPool
    let idleTTL: Double

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: .seconds(min(60, max(1, idleTTL / 10))))) != nil else { return }
                await pool.retireIdle()
            }
        }
    }
}
