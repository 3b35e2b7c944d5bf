/// One `field=[op:]value` condition of a list query (`?status=in:failed,error`).
public struct ListFilter: Sendable, Equatable {
    public enum Operator: String, Sendable, CaseIterable {
        case eq, neq, gt, gte, lt, lte, `in`, nin, has
    }

    public var field: String
    public var op: Operator
    /// One value, or several for `in`/`nin`.
    public var values: [String]

    public init(field: String, op: Operator, values: [String]) {
        self.field = field
        self.op = op
        self.values = values
    }

    /// Parses Qinling's `[op:]value` syntax. A prefix that is not a known operator is part
    /// of the value (`description=Created by Job: x` is an equality test).
    public init(field: String, expression: String) {
        self.field = field
        if let colon = expression.firstIndex(of: ":"),
            let op = Operator(rawValue: String(expression[..<colon]))
        {
            self.op = op
            let rest = String(expression[expression.index(after: colon)...])
            self.values = (op == .in || op == .nin) ? rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init) : [rest]
        } else {
            self.op = .eq
            self.values = [expression]
        }
    }
}
