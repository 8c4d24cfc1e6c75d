#!/usr/bin/env python3
"""Runs the peers' own test-file generators into a scratch folder, with harmless payloads, and sorts
the files they write into OUT/malicious and OUT/benign for scripts/security_corpus.py --extra.

The peers' code is read from local mirrors (`fetch` of github:mmaitre314/picklescan,
github:protectai/modelscan, github:trailofbits/fickling) with `git show`, never copied into this
repository. Before running, every command string their payloads would run (`ls -la`, `whoami`,
`curl ...`) is replaced by `echo ditport-probe`, and `/etc/passwd` (read at pickling time by one
picklescan payload) by `/dev/null`. Nothing is loaded or unpickled here: pickling an object only calls
its `__reduce__`, which returns the payload without running it.

- picklescan: tests/init_data_files.py (initialize_pickle_files, initialize_numpy_files).
- modelscan: the pytest fixtures of tests/test_modelscan.py that write files (zip_file_path,
  pytorch_file_path, file_path, numpy_file_path), called with a stand-in tmp_path_factory; TensorFlow /
  Keras fixtures are skipped (no TensorFlow here) and their imports are stubs.
- fickling: test/fixtures/generate_fixtures.py (a TorchScript squeezenet, benign). fickling's malicious
  test inputs are built inside its tests with its own API, not by a generator, and are not included.

Each statement of a generator runs on its own (a failure — a missing optional module such as dill or
py7zr — skips that file and is reported), so one missing dependency does not lose the rest.

Labels, from the peers' own file names: malicious = malicious*, *exploit*, GHSA-*,
dns_exfiltration, pytorch_magic_bypass, unsafe*, cloudpickle_codeinjection, types_CodeType, io_FileIO,
logging_FileHandler, urllib_request_urlopen, modelscan's test.zip (a Malicious1 data.pkl);
benign = benign*, safe*, int_array*, the TorchScript model; anything else is listed as unlabelled and
not scored (bad_pytorch.pt is an 8-byte PNG header both peers expect to pass as "not a pickle").

Usage: peer_test_files.py OUT --picklescan MIRROR.git --modelscan MIRROR.git --fickling MIRROR.git
       (run with the fixture venv's python: torch, torchvision, numpy)
"""
import argparse
import ast
import os
import re
import shutil
import subprocess
import sys

HARMLESS = "echo ditport-probe"
PAYLOAD_STRINGS = [
    (r"curl https?://[^'\"]*", HARMLESS), (r"\bls -la\b", HARMLESS), (r"\bwhoami\b", HARMLESS),
    (r"/etc/passwd", "/dev/null"),
]
MALICIOUS = re.compile(r"malicious|exploit|GHSA-|dns_exfiltration|pytorch_magic_bypass|^unsafe|codeinjection|CodeType|io_FileIO|logging_FileHandler|urllib_request|^test\.zip$", re.I)
BENIGN = re.compile(r"^benign|^safe|^int_array|torchscript", re.I)

RUNNER = r'''
import ast, os, sys, types, traceback

class StubMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return cls
    def __call__(cls, *args, **kwargs):
        return cls

class Stub(metaclass=StubMeta):
    pass

class StubModule(types.ModuleType):
    __path__ = []
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Stub

def stub(*names):
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            sys.modules.setdefault(".".join(parts[:i]), StubModule(".".join(parts[:i])))

class FakePytest(types.ModuleType):
    def fixture(self, *args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f
    class mark:
        def __getattr__(self, name):
            return lambda *a, **k: (lambda f: f)
    mark = mark()

sys.modules["pytest"] = FakePytest("pytest")
stub(*sys.argv[3].split(",")) if sys.argv[3] else None

class Factory:
    def __init__(self, root):
        self.root = root
    def mktemp(self, name):
        path = os.path.join(self.root, name)
        os.makedirs(path, exist_ok=True)
        return path

def guarded(tree):
    """Wraps each statement of every function body in try/except, so one failure skips one file."""
    class Wrap(ast.NodeTransformer):
        def visit_FunctionDef(self, node):
            self.generic_visit(node)
            if node.name.startswith("__"):
                return node
            body = []
            for stmt in node.body:
                if isinstance(stmt, (ast.Return, ast.FunctionDef, ast.ClassDef, ast.Global, ast.Nonlocal)):
                    body.append(stmt)
                    continue
                handler = ast.parse("print('skipped:', __import__('traceback').format_exc().strip().splitlines()[-1], flush=True)").body
                body.append(ast.Try(body=[stmt], handlers=[ast.ExceptHandler(type=ast.Name("Exception", ast.Load()), name=None, body=handler)], orelse=[], finalbody=[]))
            node.body = body
            return node
    return ast.fix_missing_locations(Wrap().visit(tree))

source_path, out, _stubs, calls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
tree = guarded(ast.parse(open(source_path).read()))
module = {"__name__": "peer_generator", "__file__": source_path}
sys.path.insert(0, os.path.dirname(source_path))
exec(compile(tree, source_path, "exec"), module)
for call in calls.split(","):
    name, _, arg = call.partition(":")
    try:
        if arg == "factory":
            module[name](Factory(out))
        else:
            module[name]()
        print("ran", name, flush=True)
    except Exception:
        print("failed", name, traceback.format_exc().strip().splitlines()[-1], flush=True)
'''


def git_show(mirror, path):
    return subprocess.run(["git", "--git-dir", mirror, "show", f"HEAD:{path}"], check=True, capture_output=True).stdout.decode()


def harmless(source):
    for pattern, replacement in PAYLOAD_STRINGS:
        source = re.sub(pattern, replacement, source)
    return source


def run(label, mirror, files, out, stubs, calls, rewrite=lambda s: s):
    scratch = os.path.join(out, "_src", label)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    for path in files:
        with open(os.path.join(scratch, os.path.basename(path)), "w") as f:
            f.write(rewrite(harmless(git_show(mirror, path))))
    written = os.path.join(out, "_raw", label)
    shutil.rmtree(written, ignore_errors=True)
    for sub in ("data", "data2"):  # picklescan's generator writes into both without creating data2 first
        os.makedirs(os.path.join(written, sub), exist_ok=True)
    runner = os.path.join(out, "_src", "runner.py")
    with open(runner, "w") as f:
        f.write(RUNNER)
    commit = subprocess.run(["git", "--git-dir", mirror, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    r = subprocess.run([sys.executable, runner, os.path.join(scratch, os.path.basename(files[0])), written, ",".join(stubs), ",".join(calls)],
                       cwd=written, capture_output=True, text=True, timeout=1800)
    print(f"{label} @ {commit[:12]}: " + "; ".join(l for l in r.stdout.splitlines() if l.startswith(("ran", "failed", "skipped"))))
    if r.returncode != 0:
        print(r.stderr[-2000:], file=sys.stderr)
    return written


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--picklescan", required=True)
    parser.add_argument("--modelscan", required=True)
    parser.add_argument("--fickling", required=True)
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    for kind in ("malicious", "benign"):
        shutil.rmtree(os.path.join(out, kind), ignore_errors=True)
        os.makedirs(os.path.join(out, kind))
    raw = {}
    # picklescan writes under its own folder: point _root_path at the scratch output.
    raw["picklescan"] = run("picklescan", args.picklescan, ["tests/init_data_files.py"], out, [],
                            ["initialize_pickle_files", "initialize_numpy_files"],
                            rewrite=lambda s: re.sub(r"^_root_path\s*=.*$", "_root_path = os.getcwd()", s, flags=re.M))
    raw["modelscan"] = run("modelscan", args.modelscan, ["tests/test_modelscan.py", "tests/test_utils.py"], out,
                           ["tensorflow", "tf_keras", "modelscan.modelscan", "modelscan.cli", "modelscan.issues",
                            "modelscan.tools.picklescanner", "modelscan.skip", "modelscan.settings", "modelscan.model",
                            "aiohttp"] + ([] if _has("dill") else ["dill"]),
                           ["zip_file_path:factory", "pytorch_file_path:factory", "file_path:factory", "numpy_file_path:factory"])
    raw["fickling"] = run("fickling", args.fickling, ["test/fixtures/generate_fixtures.py"], out, [], ["main"],
                          rewrite=lambda s: s.replace("FIXTURES_DIR = Path(__file__).parent", "FIXTURES_DIR = Path.cwd()"))
    unlabelled = []
    for label, folder in raw.items():
        for root, _, names in os.walk(folder):
            for name in sorted(names):
                path = os.path.join(root, name)
                if os.path.getsize(path) == 0:  # the generator failed after opening the file (missing module)
                    unlabelled.append(f"{label}/{os.path.relpath(path, folder)} (empty: not generated)")
                    continue
                kind = "malicious" if MALICIOUS.search(name) else ("benign" if BENIGN.search(name) else None)
                if kind is None:
                    unlabelled.append(f"{label}/{os.path.relpath(path, folder)}")
                    continue
                target = os.path.join(out, kind, f"{label}__{os.path.relpath(path, folder).replace(os.sep, '__')}")
                shutil.copy(path, target)
    for kind in ("malicious", "benign"):
        print(kind, len(os.listdir(os.path.join(out, kind))))
    print("unlabelled (not scored):", ", ".join(unlabelled) or "none")


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
