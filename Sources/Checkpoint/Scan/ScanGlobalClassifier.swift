/// How `ckpt scan` rates a global a pickle names: safe only when it is on the checkpoint allowlist
/// (`TorchPickleAllowlist`, the globals `ckpt` itself decodes as data); anything else can run code when
/// torch.load / pickle.load imports and calls it, and is dangerous — with a sharper reason for the
/// modules and builtins known to execute commands or code.
enum ScanGlobalClassifier {
    /// Modules whose every member is treated as able to execute commands or code.
    static let executingModules: Set<String> = [
        "os", "posix", "nt", "subprocess", "sys", "runpy", "pty", "shutil", "socket", "webbrowser", "importlib",
        "pickle", "_pickle", "marshal", "code", "codeop", "ctypes", "asyncio", "multiprocessing", "platform",
        "commands", "popen2", "requests", "urllib", "http", "ftplib", "smtplib", "telnetlib", "pip", "bdb", "pdb",
        "timeit", "cProfile", "profile", "trace", "torch.hub", "torch.jit", "numpy.testing", "dill", "joblib",
    ]
    /// Individual callables that execute or reach arbitrary code.
    static let executingNames: Set<String> = [
        "builtins.eval", "builtins.exec", "builtins.compile", "builtins.getattr", "builtins.setattr", "builtins.delattr",
        "builtins.__import__", "builtins.open", "builtins.globals", "builtins.locals", "builtins.vars", "builtins.breakpoint",
        "builtins.input", "builtins.apply", "builtins.execfile", "operator.attrgetter", "operator.itemgetter",
        "operator.methodcaller", "functools.partial", "functools.reduce", "copyreg._reconstructor", "types.FunctionType",
        "types.CodeType", "torch.load", "torch.storage._load_from_bytes", "numpy.load", "_io.open", "io.open",
    ]

    enum Rating: String { case safe, dangerous }

    static func rate(_ name: String) -> (Rating, String) {
        let dot = name.lastIndex(of: ".") ?? name.endIndex
        let module = String(name[..<dot]), symbol = dot < name.endIndex ? String(name[name.index(after: dot)...]) : ""
        if TorchPickleAllowlist.role(module: module, name: symbol) != nil { return (.safe, "checkpoint allowlist") }
        let root = String(module.split(separator: ".").first ?? "")
        if executingNames.contains(name) || executingModules.contains(module) || executingModules.contains(root) {
            return (.dangerous, "can execute code")
        }
        return (.dangerous, "not on the checkpoint allowlist (importing and calling it may run code)")
    }
}
