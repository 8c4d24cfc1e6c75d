#!/usr/bin/env python3
"""Differential fuzzing of the project's pickle VM against CPython (docs/fuzzing.md).

Mutates seed pickles (every pickle in fixtures/ plus frame-heavy protocol 4/5 pickles made here with
CPython's pickle), feeds each input to `fuzz-pickle-differential` (the Swift VM, over a pipe, in
batches) and to the oracle, and compares the canonical object graphs. The oracle is CPython itself:

- the pure-Python `pickle._Unpickler` and the C `pickle.Unpickler` reading an io.BytesIO (torch.load's
  path), both with a find_class that returns inert placeholders for the checkpoint allowlist and refuses
  everything else, REDUCE/NEWOBJ/persistent ids recorded as inert call objects, nothing called;
- the oracle accepts an input only when BOTH accept it with the same graph (where CPython's two
  unpicklers disagree, the only safe reading is a refusal);
- the project's documented restrictions: INST/OBJ/NEWOBJ_EX/EXT*/PERSID/out-of-band buffers refused,
  strings holding lone surrogates refused, STOP inside a frame with unread bytes refused.

Any input where the VM's verdict or graph differs from the oracle's is a disagreement: it is saved to
OUT/disagreements/ and the run fails. Usage:
  scripts/pickle_differential.py [--execs N] [--seed S] [--binary PATH] [--out DIR] [--replay FILE...]
Runs on one core (one Python process + the Swift process, which mostly waits on the pipe).
"""
import _compat_pickle
import argparse
import glob
import io
import os
import pickle
import pickletools
import random
import resource
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections import OrderedDict

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MAX_INPUT = 4096

# --- the allowlist: TorchPickleAllowlist (Sources/Checkpoint/Torch/TorchPickleAllowlist.swift) -------
EXACT = {
    "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2", "torch.storage.UntypedStorage", "torch.UntypedStorage", "torch.Tensor",
    "torch.nn.parameter.Parameter", "torch.Size", "torch.device", "_codecs.encode", "builtins.set", "builtins.frozenset",
    "argparse.Namespace", "numpy.ndarray", "numpy.dtype", "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray._reconstruct", "numpy._core.multiarray.scalar", "numpy.core.multiarray.scalar",
    "numpy._core.numeric._frombuffer", "numpy.core.numeric._frombuffer",
}
STORAGES = {"DoubleStorage", "FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage",
            "CharStorage", "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage"}
DTYPES = {"float64", "double", "float32", "float", "float16", "half", "bfloat16", "int64", "long", "int32", "int", "int16", "short",
          "int8", "uint8", "bool", "complex64", "cfloat", "complex128", "cdouble", "uint16", "uint32", "uint64",
          "float8_e4m3fn", "float8_e5m2", "complex32", "chalf", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
          "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8",
          "bits2x4", "bits4x2", "bcomplex32", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
          "int1", "int2", "int3", "int4", "int5", "int6", "int7"}
SWIFT_RENAMES = {"__builtin__": "builtins", "copy_reg": "copyreg", "UserDict": "collections", "UserList": "collections",
                 "UserString": "collections"}


def allowed(module, name):
    full = module + "." + name
    if full in EXACT:
        return True
    if module in ("torch", "torch.cuda") and name in STORAGES:
        return True
    return module == "torch" and name in DTYPES


class Refused(Exception):
    pass


# --- inert objects ----------------------------------------------------------------------------------
class GMeta(type):
    """Placeholders for allowlisted globals are classes (instances of this metaclass), as real
    allowlisted globals used with NEWOBJ are: the C unpickler's NEWOBJ requires a type
    (`PyType_Check`), the pure-Python one calls `cls.__new__(cls, *args)` on anything."""

    def __call__(cls, *args):  # REDUCE: calling the placeholder records the call
        return Call("R", cls, args)

    @property
    def __dict__(cls):  # BUILD on a placeholder: no instance dict, as before (no attributes to set)
        raise AttributeError("inert placeholder has no __dict__")

    def __reduce__(cls):
        raise TypeError("inert")


def G(full):
    """The inert placeholder for the global `full` (NEWOBJ on it records an "N" call)."""
    return GMeta(full, (), {"__slots__": (), "full": full, "__new__": lambda klass, *args: Call("N", klass, args)})


class Call:
    def __init__(self, kind, callable_, args):
        self.kind, self.callable, self.args, self.states = kind, callable_, args, []

    def __call__(self, *args):
        return Call("R", self, args)

    def __setstate__(self, state):
        self.states.append(state)


def oracle_class(base):
    class Oracle(base):
        def __init__(self, file, globals_cache):
            super().__init__(file, encoding="utf-8")
            self.cache = globals_cache

        def find_class(self, module, name):
            proto = getattr(self, "proto", 0)
            if proto < 3 and module in SWIFT_RENAMES and (module, name) not in _compat_pickle.NAME_MAPPING:
                module = SWIFT_RENAMES[module]
            elif proto < 3 and ((module, name) in _compat_pickle.NAME_MAPPING or module in _compat_pickle.IMPORT_MAPPING):
                raise Refused("renamed module")
            if not allowed(module, name):
                raise Refused(f"refused global {module}.{name}")
            key = module + "." + name
            if key not in self.cache:
                self.cache[key] = G(key)
            return self.cache[key]

        def persistent_load(self, pid):
            return Call("P", None, pid)

    return Oracle


PyOracle = oracle_class(pickle._Unpickler)
COracle = oracle_class(pickle.Unpickler)
REFUSED_OPCODES = [pickle.INST, pickle.OBJ, pickle.NEWOBJ_EX, pickle.EXT1, pickle.EXT2, pickle.EXT4, pickle.PERSID,
                   pickle.NEXT_BUFFER, pickle.READONLY_BUFFER]


def _refuse(self):
    raise Refused("opcode refused by the project")


def _reduce_with_tuple(self):
    """REDUCE as the C unpickler does it: the arguments must be a tuple (PyObject_CallObject raises
    "argument list must be a tuple"); the pure-Python one calls func(*args) with any iterable. Where the
    C unpickler gives no verdict (MemoryError on a huge memo index) the pure-Python verdict alone would
    otherwise accept what C refuses (fixtures/adversarial/pickle-differential/0011, 0016)."""
    if not isinstance(self.stack[-1], tuple):
        raise Refused("REDUCE arguments are not a tuple (the C unpickler refuses them)")
    pickle._Unpickler.load_reduce(self)


def _load_frame_whole(self):
    """FRAME as the C unpickler reads it: `load_frame` in Modules/_pickle.c asks `_Unpickler_Read` for
    all `frame_size` bytes and refuses with "pickle data was truncated" when they are not there, while
    `pickle._Unframer.load_frame` keeps whatever `file.read(frame_size)` returned — so only the pure-
    Python unpickler reads a pickle whose last frame runs past the end but whose opcodes stop inside the
    bytes present. The two disagree, so refusing is the reading that is right for both (the VM does).
    Matters where the C unpickler gives no verdict (MemoryError on a huge memo index earlier in the same
    pickle: fixtures/adversarial/pickle-differential/frame_past_end.pkl)."""
    frame_size, = struct.unpack("<Q", self.read(8))
    if frame_size > sys.maxsize:
        raise ValueError("frame size > sys.maxsize")
    self._unframer.load_frame(frame_size)
    if len(self._unframer.current_frame.getbuffer()) < frame_size:
        raise Refused("FRAME length runs past the end of the pickle (the C unpickler refuses it)")


PyOracle.dispatch = dict(pickle._Unpickler.dispatch)
for code in REFUSED_OPCODES:
    PyOracle.dispatch[code[0]] = _refuse
PyOracle.dispatch[pickle.REDUCE[0]] = _reduce_with_tuple
PyOracle.dispatch[pickle.FRAME[0]] = _load_frame_whole


# --- canonical form (Sources/Checkpoint/Pickle/PickleDifferential.swift, CanonicalPrinter) ---------
def int_hex(n):
    if isinstance(n, bool):
        raise AssertionError
    length = 1
    while True:
        try:
            return n.to_bytes(length, "little", signed=True).hex()
        except OverflowError:
            length += 1


class Printer:
    MAX_DEPTH = 200
    MAX_LENGTH = 1 << 20

    def __init__(self):
        self.parts, self.length, self.ids = [], 0, {}

    def emit(self, text):
        self.parts.append(text)
        self.length += len(text)

    def visit(self, obj, tag):
        key = id(obj)
        if key in self.ids:
            self.emit("@%d" % self.ids[key][0])
            return False
        self.ids[key] = (len(self.ids), obj)
        self.emit("%s#%d" % (tag, len(self.ids) - 1))
        return True

    def print(self, v, depth=0):
        if self.length >= self.MAX_LENGTH:
            return
        if depth >= self.MAX_DEPTH:
            self.emit("~")
            return
        if v is None:
            self.emit("N")
        elif v is True:
            self.emit("T")
        elif v is False:
            self.emit("F")
        elif isinstance(v, int):
            self.emit("i" + int_hex(v))
        elif isinstance(v, float):
            self.emit("f" + "%x" % struct.unpack("<Q", struct.pack("<d", v))[0])
        elif isinstance(v, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
                raise Refused("lone surrogate")
            self.emit("s" + v.encode("utf-8").hex())
        elif isinstance(v, (bytes, bytearray)):
            self.emit("b" + bytes(v).hex())
        elif isinstance(v, GMeta):
            self.emit("g" + v.full)
        elif isinstance(v, tuple):
            self.emit("(")
            for item in v:
                self.print(item, depth + 1)
                self.emit(",")
            self.emit(")")
        elif isinstance(v, list):
            if self.visit(v, "L"):
                self.emit("[")
                for item in v:
                    self.print(item, depth + 1)
                    self.emit(",")
                self.emit("]")
        elif isinstance(v, dict):
            if self.visit(v, "D"):
                self.emit("{")
                for key, value in v.items():
                    self.print(key, depth + 1)
                    self.emit(":")
                    self.print(value, depth + 1)
                    self.emit(",")
                self.emit("}")
        elif isinstance(v, (set, frozenset)):
            parts = []
            for item in v:
                inner = Printer()
                inner.print(item, depth + 1)
                parts.append("".join(inner.parts))
            self.emit(("z" if isinstance(v, frozenset) else "S") + "{" + ",".join(sorted(parts)) + "}")
        elif isinstance(v, Call):
            if self.visit(v, "C"):
                self.emit(v.kind + "(")
                self.print(v.callable, depth + 1)
                self.emit(";")
                self.print(v.args, depth + 1)
                self.emit(";")
                for state in v.states:
                    self.print(state, depth + 1)
                    self.emit(",")
                self.emit(")")
        else:
            raise Refused("unexpected type " + type(v).__name__)

    def text(self):
        out = "".join(self.parts)
        return out.encode("utf-8")[: self.MAX_LENGTH].decode("utf-8", "ignore") if self.length > self.MAX_LENGTH else out


def canonical(value):
    printer = Printer()
    printer.print(value)
    return printer.text()


def run_one(oracle, data):
    unpickler = oracle(io.BytesIO(data), {})
    value = unpickler.load()
    return value, unpickler


def oracle_verdict(data):
    """The canonical form CPython agrees on, or None (refused)."""
    try:
        py_value, py = run_one(PyOracle, data)
        frame = py._unframer.current_frame
        if frame is not None and frame.tell() < len(frame.getbuffer()):
            return None  # STOP inside a frame with unread bytes
        if py.stack or py.metastack:
            return None  # STOP with values left on the stack or open MARKs: refused by the project
        py_text = canonical(py_value)
    except RecursionError:
        return None
    except Exception:  # noqa: BLE001 — any refusal
        return None
    try:
        c_value, _ = run_one(COracle, data)
        c_text = canonical(c_value)
    except MemoryError:
        return py_text  # the C unpickler sizes its memo array by the largest index: no verdict from it
    except Exception:  # noqa: BLE001
        return None
    return py_text if py_text == c_text else None


# --- seeds and mutations -----------------------------------------------------------------------------
def pickles_in(path):
    with open(path, "rb") as f:
        data = f.read()
    out = []
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                out += [z.read(n) for n in z.namelist() if n.endswith(".pkl")]
        except Exception:  # noqa: BLE001
            pass
    elif data[:1] in (b"\x80", b"L", b"(", b"}", b"]", b"c"):
        cursor = 0
        for _ in range(5):  # a legacy torch file stacks five pickles; a bare pickle is one
            try:
                ops = list(pickletools.genops(data[cursor:]))
            except Exception:  # noqa: BLE001
                out.append(data[cursor:])
                break
            end = cursor + ops[-1][2] + 1
            out.append(data[cursor:end])
            cursor = end
            if cursor >= len(data) or data[cursor:cursor + 1] not in (b"\x80", b"L", b"(", b"}", b"]", b"c", b"I", b"M"):
                break
    return [p[:MAX_INPUT] for p in out if p]


def generated_seeds():
    values = [
        OrderedDict(a=1, b=[1, 2.5, "x" * 300, b"y" * 70000 if False else b"y" * 300]),
        {"big": 2 ** 100, "neg": -(2 ** 70), "f": float("nan"), "t": (1, (2, (3,))), "s": {1, 2}, "fs": frozenset({3})},
        [list(range(50)), {"k": bytearray(b"ab")}, True, None, "\u1234" * 20],
    ]
    shared = [1, 2]
    values.append({"a": shared, "b": shared, "c": (shared,)})
    cyclic = []
    cyclic.append(cyclic)
    values.append(cyclic)
    out = []
    for value in values:
        for protocol in range(6):
            try:
                out.append(pickle.dumps(value, protocol=protocol))
            except Exception:  # noqa: BLE001
                pass
    return out


OPCODES = bytes(range(0x28, 0x99))


def mutate(rng, data, seeds):
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 4))):
        choice = rng.randrange(11)
        position = rng.randrange(len(data) + 1) if data else 0
        if choice == 0 and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 2:
            data[position:position] = bytes([rng.choice(OPCODES)])
        elif choice == 3 and data:
            end = min(len(data), position + rng.randrange(1, 9))
            del data[position:end]
        elif choice == 4 and data:
            start = rng.randrange(len(data))
            chunk = data[start:start + rng.randrange(1, 17)]
            data[position:position] = chunk
        elif choice == 5:
            other = rng.choice(seeds)
            start = rng.randrange(len(other))
            data[position:position] = other[start:start + rng.randrange(1, 33)]
        elif choice == 6:  # a FRAME of a plausible length
            data[position:position] = b"\x95" + struct.pack("<Q", rng.randrange(0, 64))
        elif choice == 7:  # retune an existing FRAME
            index = data.find(b"\x95", rng.randrange(len(data) + 1) if data else 0)
            if index >= 0 and index + 9 <= len(data):
                length = struct.unpack("<Q", data[index + 1:index + 9])[0]
                data[index + 1:index + 9] = struct.pack("<Q", max(0, length + rng.randrange(-4, 5)))
        elif choice == 8 and data:
            del data[position:]
        elif choice == 9:
            data[position:position] = rng.choice([b"I010\n", b"I01\n", b"I+1\n", b"F1e999\n", b"L12L\n", b"S'a\\x41'\n",
                                                  b"V\\u0041\n", b"g0\n", b"p0\n", b"\x94", b"h\x00", b"0", b"1", b"2",
                                                  b"\x8f", b"\x90", b"\x91", b"(", b".", b"N", b"\x88"])
        elif choice == 10 and data:  # length fields: small deltas
            index = rng.randrange(len(data))
            data[index] = (data[index] + rng.choice((-2, -1, 1, 2))) % 256
    return bytes(data[:MAX_INPUT])


# --- driver --------------------------------------------------------------------------------------------
class SwiftVM:
    def __init__(self, binary):
        self.process = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 20)

    def run_batch(self, inputs):
        def feed():
            parts = []
            for data in inputs:
                parts.append(struct.pack("<I", len(data)))
                parts.append(data)
            parts.append(struct.pack("<I", 0))  # flush marker
            self.process.stdin.write(b"".join(parts))
            self.process.stdin.flush()

        writer = threading.Thread(target=feed)
        writer.start()
        lines = [self.process.stdout.readline().decode("utf-8", "replace").rstrip("\n") for _ in range(len(inputs) + 1)]
        writer.join()
        return lines[:-1]


# The VM refuses these anywhere in a pickle, even in a value CPython later discards (so CPython's final
# graph can agree while the VM refused): text arguments CPython's two unpicklers read differently.
# And the memo bound: indices above 2**32 - 1 (which only CPython's dict-backed pure-Python memo takes).
STRICTER = ("!INT argument", "!FLOAT argument", "!memo index")


def verdict_text(line):
    return None if line.startswith("!") else line


def main():
    import faulthandler
    faulthandler.dump_traceback_later(int(os.environ.get("PDIFF_WATCHDOG", "0")) or 10**9, exit=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--execs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/fuzz-pickle-differential"))
    parser.add_argument("--out", default=os.path.join(ROOT, "fuzz-work/pickle-differential"))
    parser.add_argument("--replay", nargs="*", help="compare these files only")
    parser.add_argument("--record", help="with --replay: write CPython's verdicts ({file name: canonical text or null}) as JSON here")
    args = parser.parse_args()
    sys.setrecursionlimit(5000)
    # The C unpickler sizes its memo array by the largest index (LONG_BINPUT 2^31 asks for 16 GiB and
    # zero-fills it); under overcommit that succeeds and takes the machine's memory. Cap the address
    # space so such inputs raise MemoryError ("no verdict from C") instead of summoning the OOM killer.
    limit = int(os.environ.get("PDIFF_ADDRESS_SPACE_GB", "6")) << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    vm = SwiftVM(args.binary)
    if args.replay:
        inputs = [open(p, "rb").read() for p in args.replay]
        for path, data, line in zip(args.replay, inputs, vm.run_batch(inputs)):
            expected = oracle_verdict(data)
            status = "agree" if verdict_text(line) == expected else "DISAGREE"
            print(f"{path}: {status}\n  swift:  {line[:300]}\n  python: {str(expected)[:300]}")
        if args.record:
            import json
            with open(args.record, "w") as f:
                json.dump({os.path.basename(p): oracle_verdict(d) for p, d in zip(args.replay, inputs)}, f, indent=1, sort_keys=True)
                f.write("\n")
        return
    seeds = []
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/**/*"), recursive=True)):
        if os.path.isfile(path) and not path.endswith((".json", ".bin", ".py", ".txt", ".png", ".yaml", ".npy")):
            seeds += pickles_in(path)
    seeds += generated_seeds()
    seeds = [s for s in seeds if s]
    print(f"{len(seeds)} seeds", flush=True)
    os.makedirs(os.path.join(args.out, "disagreements"), exist_ok=True)
    rng = random.Random(args.seed)
    done, disagreements, accepted, stricter = 0, 0, 0, 0
    start = time.time()
    # The seeds themselves first.
    pending = list(seeds)
    while done < args.execs:
        batch = pending[: args.batch] if pending else [mutate(rng, rng.choice(seeds), seeds) for _ in range(args.batch)]
        pending = pending[len(batch):] if pending else []
        lines = vm.run_batch(batch)
        for data, line in zip(batch, lines):
            expected = oracle_verdict(data)
            got = verdict_text(line)
            if expected is not None:
                accepted += 1
            if got != expected and got is None and line.startswith(STRICTER):
                stricter += 1  # a deliberate refusal inside the pickle (the final graphs may agree)
            elif got != expected:
                disagreements += 1
                if disagreements <= 200:
                    name = os.path.join(args.out, "disagreements", f"{disagreements:04d}")
                    with open(name + ".pkl", "wb") as f:
                        f.write(data)
                    with open(name + ".txt", "w") as f:
                        f.write(f"swift:  {line}\npython: {expected}\n")
        done += len(batch)
        if done % 100_000 < args.batch:
            rate = done / (time.time() - start)
            print(f"{done} execs, {accepted} accepted by CPython, {disagreements} disagreements, {stricter} deliberate refusals, {rate:.0f} exec/s", flush=True)
    elapsed = time.time() - start
    print(f"done: {done} execs in {elapsed:.0f} s ({done / elapsed:.0f} exec/s), {accepted} accepted by CPython, "
          f"{disagreements} disagreements, {stricter} deliberate refusals")
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
