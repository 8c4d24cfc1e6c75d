/// The command line split into help, the config file, flags (with their values as text) and positionals.
struct ArgumentScan {
    struct Flag {
        /// The name without dashes, as typed ("data-path").
        let name: String
        /// The flag as typed ("--data-path"), used as the value's origin.
        let spelling: String
        let value: String
    }
    var helpRequested = false
    var configFile: String?
    var flags: [Flag] = []
    var positionals: [String] = []
}

extension ToolSettings {
    /// Splits `arguments` (without the program name). `--key value`, `--key=value`, `--key_name` and
    /// `--key-name`, `-x value`; a boolean flag alone means True and takes a following True/False.
    func scanArguments(_ arguments: [String]) throws -> ArgumentScan {
        var scan = ArgumentScan()
        var i = 0
        func nextValue(for spelling: String) throws -> String {
            guard i + 1 < arguments.count else { throw SettingsError("\(spelling): missing value (see \(tool) --help)") }
            i += 1
            return arguments[i]
        }
        while i < arguments.count {
            let argument = arguments[i]
            defer { i += 1 }
            if argument == "--" {
                scan.positionals += arguments[(i + 1)...]
                break
            }
            guard argument.hasPrefix("-"), argument.count > 1, Double(argument) == nil else {
                scan.positionals.append(argument)
                continue
            }
            var spelling = argument, inline: String?
            if let equals = argument.firstIndex(of: "=") {
                spelling = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            let isShort = !spelling.hasPrefix("--")
            let name = String(spelling.drop(while: { $0 == "-" }))
            if isShort && name.count != 1 { throw unknownFlagError(spelling) }
            let declaration = isShort ? declarations.first(where: { $0.short.map(String.init) == name }) : self.declaration(name)
            if declaration == nil {
                switch (isShort, SettingName.canonical(name)) {
                case (true, "h"), (false, "help"):
                    scan.helpRequested = true
                    continue
                case (true, "c"), (false, "config"):
                    scan.configFile = try inline ?? nextValue(for: spelling)
                    continue
                default:
                    break
                }
            }
            let isNoted = declaration == nil && !isShort && acceptedWithNote[SettingName.canonical(name)] != nil
            guard declaration != nil || isNoted else { throw unknownFlagError(spelling) }
            let value: String
            if let inline {
                value = inline
            } else if declaration?.type == .bool || isNoted {
                // A boolean flag alone means True; an explicit True/False (or, for noted keys, any value) follows it.
                let next = i + 1 < arguments.count ? arguments[i + 1] : nil
                if let next, isNoted ? !next.hasPrefix("-") : SettingValueReading.boolean(next) != nil {
                    value = next
                    i += 1
                } else {
                    value = "True"
                }
            } else {
                value = try nextValue(for: spelling)
            }
            scan.flags.append(ArgumentScan.Flag(name: declaration?.key ?? name, spelling: spelling, value: value))
        }
        return scan
    }
}
