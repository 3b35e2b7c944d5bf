/// The fields of a runtime create request, already type-checked by the API.
public struct RuntimeDraft: Sendable {
    public var name: String?
    public var image: String?
    public var description: String?
    public var isPublic: Bool?
    public var trusted: Bool?

    public init(name: String? = nil, image: String? = nil, description: String? = nil, isPublic: Bool? = nil, trusted: Bool? = nil) {
        self.name = name
        self.image = image
        self.description = description
        self.isPublic = isPublic
        self.trusted = trusted
    }
}

/// The fields a runtime update may change; nil leaves a field as it is.
public struct RuntimePatch: Sendable {
    public var name: String?
    public var image: String?
    public var description: String?

    public init(name: String? = nil, image: String? = nil, description: String? = nil) {
        self.name = name
        self.image = image
        self.description = description
    }
}
