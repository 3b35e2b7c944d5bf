import HearthCore

/// Which rows of a resource a list request sees, and the caller's `field=[op:]value` filters.
///
/// Filter fields must come from the resource's allow-list (services check it before calling
/// the store); the store double-checks that they are plain column names.
public struct ListQuery: Sendable {
    public enum Scope: Sendable {
        /// Rows of one project.
        case project(String)
        /// Rows of one project plus public ones (runtimes).
        case projectOrPublic(String)
        /// Every project's rows (admin `all_projects`).
        case all
    }

    public var scope: Scope
    public var filters: [ListFilter]

    public init(scope: Scope, filters: [ListFilter] = []) {
        self.scope = scope
        self.filters = filters
    }
}
