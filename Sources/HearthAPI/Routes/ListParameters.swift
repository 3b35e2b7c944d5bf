import HearthCore
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// The query of a list request: `all_projects` and `field=[op:]value` filters.
struct ListParameters {
    var allProjects = false
    var filters: [ListFilter] = []

    init(_ uri: URI) throws {
        for (key, value) in uri.queryParameters {
            let name = String(key)
            if name == "all_projects" {
                guard let flag = StrictBool.parse(String(value)) else {
                    throw APIError.badRequest("all_projects must be true or false, got '\(value)'.")
                }
                allProjects = flag
            } else {
                filters.append(ListFilter(field: name, expression: String(value)))
            }
        }
    }
}
