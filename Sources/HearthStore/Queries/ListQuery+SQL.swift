import GRDB
import HearthCore

extension ListQuery {
    /// The WHERE clause (without the keyword) and its arguments.
    func sqlCondition() -> (sql: String, arguments: StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        switch scope {
        case .project(let project):
            clauses.append("\"project_id\" = ?")
            _ = arguments.append(contentsOf: [project])
        case .projectOrPublic(let project):
            clauses.append("(\"project_id\" = ? OR \"is_public\")")
            _ = arguments.append(contentsOf: [project])
        case .all:
            break
        }
        for filter in filters {
            precondition(filter.field.allSatisfy { $0.isLetter || $0 == "_" }, "unvetted filter field \(filter.field)")
            let column = "\"\(filter.field)\""
            switch filter.op {
            case .eq: clauses.append("\(column) = ?")
            case .neq: clauses.append("(\(column) IS NULL OR \(column) != ?)")
            case .gt: clauses.append("\(column) > ?")
            case .gte: clauses.append("\(column) >= ?")
            case .lt: clauses.append("\(column) < ?")
            case .lte: clauses.append("\(column) <= ?")
            case .in, .nin:
                let marks = Array(repeating: "?", count: filter.values.count).joined(separator: ", ")
                clauses.append(filter.op == .in ? "\(column) IN (\(marks))" : "(\(column) IS NULL OR \(column) NOT IN (\(marks)))")
            case .has:
                clauses.append("\(column) LIKE ? ESCAPE '\\'")
            }
            if filter.op == .has {
                let escaped = filter.values[0].replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                _ = arguments.append(contentsOf: ["%\(escaped)%"])
            } else {
                _ = arguments.append(contentsOf: StatementArguments(filter.values))
            }
        }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments)
    }
}
