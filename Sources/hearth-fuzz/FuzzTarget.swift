/// One parser of untrusted bytes under test. `run` feeds it one input and checks properties
/// that must hold for every input (a round trip, a bound), not only that nothing traps;
/// a broken property throws, which the fuzzer reports as a crash with the input saved.
protocol FuzzTarget: SendableMetatype {
    static var name: String { get }
    static var summary: String { get }
    /// libFuzzer's `-max_len` unless given: large enough for the inputs that matter.
    static var maximumLength: Int { get }
    static func run(_ bytes: [UInt8]) throws(PropertyFailure)
}

/// Every target, in the order `make fuzz` runs them.
let targets: [any FuzzTarget.Type] = [
    ZipTarget.self, MultipartTarget.self, FormTarget.self, JSONTarget.self, FrameTarget.self, CronTarget.self, SignatureTarget.self,
    TimeTarget.self,
]

/// A property that did not hold for an input.
struct PropertyFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(PropertyFailure) {
    if !condition { throw PropertyFailure(message()) }
}

/// An input shown in a failure message: printable ASCII as is, the rest escaped, cut short.
func shown(_ bytes: some Collection<UInt8>, limit: Int = 200) -> String {
    var out = ""
    for byte in bytes.prefix(limit) {
        out += (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\\") ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
    return bytes.count > limit ? out + "…" : out
}

func shown(_ text: String, limit: Int = 200) -> String {
    shown(Array(text.utf8), limit: limit)
}
