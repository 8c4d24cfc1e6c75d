extension ToolSettings {
    /// `--help`: what the tool does, usage, the example lines, then every setting with its YAML key,
    /// both flag spellings, type, default and help.
    public func helpText() -> String {
        let positionalNames = positionals.map { " " + $0.name }.joined()
        var lines = ["\(tool): \(abstract)", "",
                     "usage: \(tool)\(positionalNames) [-c FILE.yaml] [--key value | --key=value]...", ""]
        lines.append(examples.count == 1 ? "example:" : "examples:")
        lines += examples.map { "  " + $0 }
        lines += ["",
                  "Every setting is a YAML key (-c FILE) and a flag in both spellings, --key_name or --key-name;",
                  "flags override the file. Booleans take True/False (a boolean flag alone means True).", ""]
        for positional in positionals {
            lines.append("  " + positional.name)
            lines.append("        " + positional.help)
        }
        lines.append("  -c, --config FILE")
        lines.append("        YAML file of the keys below (MindONE style); unknown keys are errors.")
        lines.append("  -h, --help")
        lines.append("        Show this text.")
        for declaration in declarations {
            var names = [declaration.underscoreFlag]
            if declaration.hyphenatedFlag != declaration.underscoreFlag { names.append(declaration.hyphenatedFlag) }
            names += declaration.aliases.map { "--" + $0 }
            if let short = declaration.short { names.insert("-\(short)", at: 0) }
            let shownDefault = declaration.defaultValue == .none ? "none" : declaration.defaultValue.displayText
            lines.append("  " + names.joined(separator: ", ") + "  <\(declaration.type.helpName)>  (default: \(shownDefault))")
            lines.append("        " + declaration.help)
        }
        if !acceptedWithNote.isEmpty {
            lines.append("")
            lines.append("Accepted and ignored (a note is printed): " + acceptedWithNote.keys.sorted().joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
