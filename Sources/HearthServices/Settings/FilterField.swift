import HearthCore
import HearthStore

/// The kind of column a list filter compares against, so that `is_public=true` means 1.
public enum FilterField: Sendable {
    case text
    case int
    case bool

    /// More conditions than a person would write are refused: each becomes a term of one SQL
    /// expression, and SQLite refuses (with an error that was a 500) past 1,000 terms.
    static let maximumFilters = 100
    static let maximumValues = 1000

    /// Checks filter fields against a resource's allow-list and normalises their values.
    /// `project_id` is an admin-only filter (Qinling crashed on it for non-admins).
    static func vet(_ filters: [ListFilter], allowed: [String: FilterField], caller: Caller) throws -> [ListFilter] {
        guard filters.count <= maximumFilters else {
            throw ServiceError.invalidInput("A list takes at most \(maximumFilters) filters; this request has \(filters.count).")
        }
        return try filters.map { filter in
            guard filter.values.count <= maximumValues else {
                throw ServiceError.invalidInput("Filter \(filter.field) lists \(filter.values.count) values; at most \(maximumValues) are allowed.")
            }
            guard let kind = allowed[filter.field] else {
                let names = allowed.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                throw ServiceError.invalidInput("Unknown argument: \"\(filter.field)\". Filterable fields: \(names), all_projects.")
            }
            if filter.field == "project_id", !caller.isAdmin { throw ServiceError.operationNotAllowed }
            var vetted = filter
            vetted.values = try filter.values.map { value in
                switch kind {
                case .text: return value
                case .int:
                    guard Int(value) != nil else {
                        throw ServiceError.invalidInput("Filter \(filter.field) needs an integer, got '\(value)'.")
                    }
                    return value
                case .bool:
                    guard let flag = StrictBool.parse(value) else {
                        throw ServiceError.invalidInput("Filter \(filter.field) needs a boolean (true or false), got '\(value)'.")
                    }
                    return flag ? "1" : "0"
                }
            }
            return vetted
        }
    }
}

extension ListQuery.Scope {
    /// Every project's rows, which only an admin may list.
    static func allProjects(_ caller: Caller) throws -> ListQuery.Scope {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        return .all
    }
}

extension ListQuery {
    /// A list of project-owned resources: the caller's project, or every project when an
    /// admin asks with `all_projects` or filters on `project_id`.
    static func projectScoped(for caller: Caller, filters: [ListFilter], allowed: [String: FilterField], allProjects: Bool) throws -> ListQuery {
        let filters = try FilterField.vet(filters, allowed: allowed, caller: caller)
        let acrossProjects = allProjects || filters.contains { $0.field == "project_id" }
        return ListQuery(scope: acrossProjects ? try .allProjects(caller) : .project(caller.projectID), filters: filters)
    }
}
