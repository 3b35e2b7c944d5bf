import HearthCore
import HearthStore

/// Async destinations may not lead back to the function they start from: an `on_success`
/// naming its own function ran it again and again, for ever (11 executions in 12 s and
/// counting). Refused when a config is saved, through any alias or version URN and through
/// other functions' configs; and, because configs can change after that check, bounded when
/// destinations run (`refusal(chain:next:)`).
struct DestinationCycles {
    let store: Store
    let functions: FunctionGraphFunctions

    /// The most functions one event passes through, destination after destination.
    static let maximumChain = 8

    /// Why a destination must not start `next` after the executions of `chain` (first to
    /// last), or nil if it may.
    static func refusal(chain: [String], next: String) -> String? {
        if chain.contains(next) { return "it would run function \(next) again: its destinations form a cycle" }
        if chain.count >= maximumChain { return "the event has passed through \(chain.count) functions, the most a chain of destinations may" }
        return nil
    }

    /// Refuses destinations of `function` (`targets`: the field and the function it names)
    /// that are the function itself or lead back to it through saved configs.
    func check(_ function: Function, targets: [(field: String, function: Function)]) async throws {
        for (field, target) in targets {
            if target.id == function.id {
                throw FunctionGraphError.invalid(
                    "destination_config.\(field) names the function itself (\(name(function))): a destination may not lead back to the function it starts from."
                )
            }
            if let path = try await path(from: target.id, to: function.id, project: function.projectID) {
                var names: [String] = []
                for id in [function.id] + path + [function.id] { names.append(try await name(of: id)) }
                throw FunctionGraphError.invalid(
                    "destination_config.\(field) would make a cycle of destinations: \(names.joined(separator: " → ")). A destination may not lead back to the function it starts from."
                )
            }
        }
    }

    /// The functions from `start` to just before `goal` along saved destinations (breadth
    /// first, each function once), or nil if `goal` cannot be reached.
    func path(from start: String, to goal: String, project: String) async throws -> [String]? {
        var cameFrom: [String: String] = [start: start]
        var queue = [start]
        var next = 0
        while next < queue.count {
            let id = queue[next]
            next += 1
            for target in try await destinations(of: id, project: project) {
                if target == goal {
                    var path = [id]
                    while let previous = cameFrom[path[0]], previous != path[0] { path.insert(previous, at: 0) }
                    return path
                }
                if cameFrom[target] == nil {
                    cameFrom[target] = id
                    queue.append(target)
                }
            }
        }
        return nil
    }

    /// The functions a function's saved config sends its events to (those that still exist).
    func destinations(of functionID: String, project: String) async throws -> [String] {
        guard let config = try await store.asyncInvokeConfig(functionID: functionID) else { return [] }
        var ids: [String] = []
        for text in [config.onSuccess, config.onFailure].compactMap({ $0 }) {
            guard let value = try? JSONValue.parse(text), let urn = try? AsyncInvokeConfigs.destinationURN(value),
                let parsed = try? FunctionURN(parsing: urn), let target = try? await functions.resolve(parsed, project: project)
            else { continue }
            ids.append(target.function.id)
        }
        return ids
    }

    func name(of id: String) async throws -> String {
        guard let function = try await store.function(id: id) else { return id }
        return name(function)
    }

    func name(_ function: Function) -> String {
        function.name ?? function.id
    }
}
