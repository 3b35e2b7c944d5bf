import HearthCore

/// Field checks shared by the services.
enum Limits {
    static func checkLength(_ value: String?, field: String, max: Int) throws {
        if let value, value.count > max {
            throw ServiceError.invalidInput("\(field) is too long: \(value.count) characters, at most \(max) allowed.")
        }
    }

    /// Qinling's range message: `cpu resource limitation not within the allowable range: 100 ~ 300(millicpu).`
    static func checkRange(_ value: Int?, name: String, bound: ResourceLimits.Bound, unit: String) throws -> Int {
        guard let value else { return bound.defaultValue }
        guard bound.contains(value) else {
            throw ServiceError.invalidInput("\(name) resource limitation not within the allowable range: \(bound.min) ~ \(bound.max)(\(unit)).")
        }
        return value
    }
}
