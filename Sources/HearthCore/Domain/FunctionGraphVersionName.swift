/// The FunctionGraph name (`v1`, `v20240101-120000`) of one numbered function version.
/// Versions published through Qinling have none and are named by their number.
public struct FunctionGraphVersionName: Codable, Sendable, Equatable {
    public var functionID: String
    public var versionNumber: Int
    public var name: String

    public init(functionID: String, versionNumber: Int, name: String) {
        self.functionID = functionID
        self.versionNumber = versionNumber
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case name
        case functionID = "function_id"
        case versionNumber = "version_number"
    }
}
