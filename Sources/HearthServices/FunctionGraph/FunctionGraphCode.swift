import HearthCore
import HearthPool

/// What a FunctionGraph function's workers get beyond its files: the `handler(event, context)`
/// convention and its environment (user data plus the `RUNTIME_*` names the context reads).
enum FunctionGraphCode {
    /// `versionName` is the FunctionGraph name of the version the workers run (`latest` for 0).
    static func apply(_ settings: FunctionGraphSettings, function: Function, versionName: String, to bundle: inout CodeBundle) {
        bundle.convention = "functiongraph"
        var environment = (try? FunctionGraphUserData.parse(settings.userData ?? "")) ?? []
        environment.append(contentsOf: [
            ("RUNTIME_FUNC_NAME", function.name ?? function.id),
            ("RUNTIME_PACKAGE", settings.package),
            ("RUNTIME_PROJECT_ID", function.projectID),
            ("RUNTIME_FUNC_VERSION", versionName),
            ("RUNTIME_MEMORY", String(function.memorySize >> 20)),
            ("RUNTIME_TIMEOUT", String(function.timeout)),
            ("RUNTIME_USERDATA", settings.userData ?? ""),
        ])
        bundle.environment = environment
    }
}
