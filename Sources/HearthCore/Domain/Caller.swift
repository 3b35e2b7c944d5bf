/// Who is making a request: the project every resource is scoped to, and whether the
/// caller may do admin-only things (runtime writes, other projects' lists, the pool).
public struct Caller: Sendable, Equatable {
    public var projectID: String
    public var isAdmin: Bool

    public init(projectID: String, isAdmin: Bool) {
        self.projectID = projectID
        self.isAdmin = isAdmin
    }

    /// May this caller read a resource of `project`? Admins read across projects by id.
    public func canRead(project: String) -> Bool {
        isAdmin || project == projectID
    }
}
