import HearthCore

/// An execution's `input` as stored and as passed to the function.
///
/// Qinling: a JSON object becomes keyword arguments; anything else is one positional
/// argument. Qinling crashed (500) on JSON that was neither an object nor an integer; here
/// any JSON value is passed as itself and text that is not JSON as a string.
struct ExecutionInput: Equatable {
    /// What `input` reads back as: `json.dumps` of an object, else the text as given.
    var stored: String?
    var value: JSONValue?
    var positional: Bool

    init(_ raw: JSONValue?) throws(ServiceError) {
        switch raw {
        case nil, .null?:
            self.init(stored: nil, value: nil, positional: false)
        case .string(let text)?:
            try self.init(text: text)
        case let value?:
            // A client that sent JSON itself rather than a JSON string.
            self.init(parsed: value, text: value.serialized)
        }
    }

    /// JSON nested too deep to parse is refused rather than passed on as a string that
    /// would mean something else.
    init(text: String) throws(ServiceError) {
        if text.isEmpty {
            self.init(stored: nil, value: nil, positional: false)
            return
        }
        do {
            self.init(parsed: try JSONValue.parse(text), text: text)
        } catch where error.tooDeep {
            throw .invalidInput("input is JSON nested deeper than \(JSONValue.maximumDepth) levels; flatten it.")
        } catch {
            self.init(stored: text, value: .string(text), positional: true)
        }
    }

    /// An object is keyword arguments, stored as `json.dumps` of it; anything else is one
    /// positional argument, stored as the text it came as.
    init(parsed value: JSONValue, text: String) {
        let isObject = value.objectMembers != nil
        self.init(stored: isObject ? value.serialized : text, value: value, positional: !isObject)
    }

    init(stored: String?, value: JSONValue?, positional: Bool) {
        self.stored = stored
        self.value = value
        self.positional = positional
    }
}
