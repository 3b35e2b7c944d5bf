/// The bounds and defaults the operator allows for a function's cpu, memory and timeout.
/// Qinling's values are the defaults.
public struct ResourceLimits: Sendable, Equatable {
    public struct Bound: Sendable, Equatable {
        public var defaultValue: Int
        public var min: Int
        public var max: Int

        public init(defaultValue: Int, min: Int, max: Int) {
            self.defaultValue = defaultValue
            self.min = min
            self.max = max
        }

        public func contains(_ value: Int) -> Bool { (min...max).contains(value) }
    }

    /// millicpu
    public var cpu: Bound
    /// bytes
    public var memorySize: Bound
    /// seconds
    public var timeout: Bound

    public init(cpu: Bound, memorySize: Bound, timeout: Bound) {
        self.cpu = cpu
        self.memorySize = memorySize
        self.timeout = timeout
    }

    public static let qinling = ResourceLimits(
        cpu: Bound(defaultValue: 100, min: 100, max: 300),
        memorySize: Bound(defaultValue: 33_554_432, min: 33_554_432, max: 134_217_728),
        timeout: Bound(defaultValue: 5, min: 1, max: 300)
    )
}
