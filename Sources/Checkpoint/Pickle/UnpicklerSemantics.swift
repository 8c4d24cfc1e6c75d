/// What the non-executing unpickler does at the opcodes that would run code in Python. The format
/// layer implements it as an allowlist of *data decoders*: nothing is ever imported or called.
protocol UnpicklerSemantics: AnyObject {
    /// GLOBAL / STACK_GLOBAL: returns the symbol (usually `.global`) or throws for a refused name.
    /// `module` has already been through the Python 2 → 3 renames.
    func global(module: String, name: String, offset: Int) throws -> UnpickledValue
    /// REDUCE: `callable(*args)`, decoded as data.
    func reduce(_ callable: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue
    /// NEWOBJ: `cls.__new__(cls, *args)`, decoded as data.
    func newObject(_ cls: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue
    /// BUILD: applies `state` to `target`; returns the value that replaces `target` on the stack.
    func build(_ target: UnpickledValue, state: UnpickledValue, offset: Int) throws -> UnpickledValue
    /// BINPERSID: resolves a persistent id (torch storages).
    func persistentLoad(_ pid: UnpickledValue, offset: Int) throws -> UnpickledValue
}
