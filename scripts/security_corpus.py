#!/usr/bin/env python3
"""Builds a labelled scanner-comparison corpus and runs every scanner on it (docs/security.md).

Malicious files carry harmless, detectable payloads (`echo ditport-probe`, never run here: files are
only written with pickle/zipfile and read by the scanners) in the carriers the peers' test suites use:
REDUCE of os.system / posix.system / subprocess.Popen / builtins.exec / eval / getattr / __import__ /
runpy._run_code / webbrowser.open / operator.attrgetter / socket.create_connection / pip.main, via
GLOBAL and STACK_GLOBAL, protocols 0-5, bare pickles, torch zips (data.pkl), legacy torch streams,
a payload after STOP, duplicate zip members, numpy object arrays (.npy, and .npz members stored and
deflated), a nested torch.save in bytes, and
this project's FRAME-straddle fixtures. Benign files: state dicts written by torch.save (zip and
legacy, protocols 2-5), pickle.dump of numpy state dicts, np.save / np.savez / np.savez_compressed arrays, and the repo's own torch
fixtures.

Usage: security_corpus.py OUT_DIR --ckpt PATH [--scanners-venv /root/scanners-venv]
Prints a markdown table: per scanner, malicious files flagged and benign files flagged.
"""
import argparse
import glob
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
COMMAND = "echo ditport-probe"


def sbu(text):
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def global_call(module, name, arg, stack_global=False, proto=2):
    """A pickle whose root is module.name(arg)."""
    head = b"\x80" + bytes([proto]) if proto >= 2 else b""
    if stack_global:
        ref = sbu(module) + sbu(name) + b"\x93"
    else:
        ref = b"c" + module.encode() + b"\n" + name.encode() + b"\n"
    argument = sbu(arg) if proto >= 4 else b"X" + struct.pack("<I", len(arg)) + arg.encode()
    if proto < 1:
        argument = b"V" + arg.encode() + b"\n"
    return head + ref + b"(" + argument + b"tR."


PAYLOADS = [
    ("os", "system"), ("posix", "system"), ("subprocess", "Popen"), ("subprocess", "check_output"), ("builtins", "exec"),
    ("builtins", "eval"), ("builtins", "__import__"), ("runpy", "_run_code"), ("webbrowser", "open"),
    ("operator", "attrgetter"), ("socket", "create_connection"), ("pip", "main"), ("builtins", "getattr"),
    ("nt", "system"), ("pty", "spawn"), ("shutil", "rmtree"), ("torch.hub", "load"), ("__main__", "Exploit"),
]


def torch_zip(path, data_pkl, extra=()):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
        for name, data in extra:
            z.writestr(name, data)
        z.writestr("archive/version", "3\n")


def legacy(object_pickle):
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    return magic + pickle.dumps(1001, protocol=2) + pickle.dumps({"protocol_version": 1001, "little_endian": True,
                                                                  "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2) \
        + object_pickle + pickle.dumps([], protocol=2)


def build(out):
    mal, ben = os.path.join(out, "malicious"), os.path.join(out, "benign")
    for d in (mal, ben):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for module, name in PAYLOADS:
        stem = f"{module}.{name}".replace(".", "_")
        for proto in (0, 2, 4):
            with open(f"{mal}/{stem}_p{proto}.pkl", "wb") as f:
                f.write(global_call(module, name, COMMAND, proto=proto))
        with open(f"{mal}/{stem}_stackglobal.pkl", "wb") as f:
            f.write(global_call(module, name, COMMAND, stack_global=True, proto=4))
        torch_zip(f"{mal}/{stem}.pt", global_call(module, name, COMMAND))
        with open(f"{mal}/{stem}_legacy.pt", "wb") as f:
            f.write(legacy(global_call(module, name, COMMAND)))
    clean = pickle.dumps({"w": 1.0}, protocol=2)
    with open(f"{mal}/after_stop.pkl", "wb") as f:
        f.write(clean + global_call("os", "system", COMMAND))
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        members = [(n, z.read(n)) for n in z.namelist()]
    with zipfile.ZipFile(f"{mal}/duplicate_data_pkl.pt", "w") as z:
        for n, d in members:
            z.writestr(n, d)
        z.writestr(members[0][0].split("/")[0] + "/data.pkl", global_call("os", "system", COMMAND))
    obj = np.array([None, None], dtype=object)
    np.save(f"{mal}/object_array.npy", obj, allow_pickle=True)
    with open(f"{mal}/object_array.npy", "r+b") as f:  # replace the array's pickle with the payload
        data = f.read()
        header_end = data.index(b"\n") + 1
        f.seek(header_end)
        f.write(global_call("os", "system", COMMAND))
        f.truncate()
    with open(f"{mal}/object_array.npy", "rb") as f:
        payload_npy = f.read()
    plain = io.BytesIO()
    np.save(plain, np.ones(3, np.float32))
    for name, method in (("object_member.npz", zipfile.ZIP_STORED), ("object_member_compressed.npz", zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(f"{mal}/{name}", "w", method) as z:  # np.savez layout, one member an object array
            z.writestr("weight.npy", plain.getvalue())
            z.writestr("objects.npy", payload_npy)
    with zipfile.ZipFile(f"{mal}/pickle_in_txt_member.zip", "w") as z:  # picklescan's malicious1_wrong_ext layout
        z.writestr("data.txt", global_call("os", "system", COMMAND, stack_global=True, proto=4))
    nested = legacy(global_call("os", "system", COMMAND))
    outer = b"\x80\x02ctorch.storage\n_load_from_bytes\n(C" + bytes([0]) + b"tR."
    outer = b"\x80\x02ctorch.storage\n_load_from_bytes\n(B" + struct.pack("<I", len(nested)) + nested + b"tR."
    with open(f"{mal}/nested_load_from_bytes.pkl", "wb") as f:
        f.write(outer)
    for path in glob.glob(os.path.join(ROOT, "fixtures/adversarial/pickle-frames/*.pt")):
        shutil.copy(path, mal)
    # Benign
    state = {"w": torch.randn(4, 3), "b": torch.zeros(3), "step": torch.tensor(7)}
    for proto in (2, 3, 4, 5):
        torch.save(state, f"{ben}/state_p{proto}.pt", pickle_protocol=proto)
        torch.save(state, f"{ben}/state_legacy_p{proto}.pt", pickle_protocol=proto, _use_new_zipfile_serialization=False)
    torch.save(torch.nn.Linear(3, 2).state_dict(), f"{ben}/linear_state_dict.pt")
    for proto in (2, 4, 5):
        with open(f"{ben}/numpy_state_p{proto}.pkl", "wb") as f:
            pickle.dump({"w": np.ones((2, 2), np.float32), "b": np.arange(3)}, f, protocol=proto)
    np.save(f"{ben}/latents.npy", np.zeros((2, 4), np.float16))
    torch.save({"w": torch.tensor([0x80, 0x02, 0x63], dtype=torch.uint8)}, f"{ben}/proto_like_tensor.pt")  # data/0 opens like PROTO 2
    np.savez(f"{ben}/arrays.npz", w=np.ones((2, 2), np.float32), b=np.arange(3))
    np.savez_compressed(f"{ben}/arrays_compressed.npz", w=np.ones((2, 2), np.float32), b=np.arange(3))
    for path in glob.glob(os.path.join(ROOT, "fixtures/torch/*.pt")):
        shutil.copy(path, ben)
    return mal, ben


def flagged(scanner, path, venv):
    if scanner == "ckpt scan":
        return subprocess.run([ARGS.ckpt, "scan", path], capture_output=True).returncode != 0
    if scanner == "picklescan":
        r = subprocess.run([f"{venv}/bin/picklescan", "--path", path], capture_output=True, text=True)
        return r.returncode != 0 or "dangerous import" in r.stdout.lower()
    if scanner == "modelscan":
        r = subprocess.run([f"{venv}/bin/modelscan", "-p", path], capture_output=True, text=True)
        return r.returncode != 0
    if scanner == "fickling":
        r = subprocess.run([f"{venv}/bin/fickling", "--check-safety", path], capture_output=True, text=True)
        return r.returncode != 0
    raise ValueError(scanner)


TORCH_LOADER = r"""
import sys, torch
for path in sys.stdin.read().splitlines():
    try:
        torch.load(path, weights_only=True, map_location="cpu")
        print("loaded", path, flush=True)
    except Exception as error:
        print("refused", path, type(error).__name__, str(error).splitlines()[0][:160] if str(error) else "", flush=True)
"""


def torch_refusals(paths, python):
    """The files torch.load(weights_only=True) refuses (raises on), all loaded in one process: the
    weights_only unpickler never calls a global outside its allowlist, and every payload is an echo."""
    r = subprocess.run([python, "-c", TORCH_LOADER], input="\n".join(paths), capture_output=True, text=True)
    results = {}
    for line in r.stdout.splitlines():
        verdict, path = line.split(" ", 2)[:2]
        results[path] = verdict == "refused"
    missing = [p for p in paths if p not in results]
    if missing:  # the loader process died (a crash is a refusal too): report and count it as refused
        print(f"torch loader stopped before {missing[0]}: {r.stderr.strip()[-300:]}", file=sys.stderr)
        results.update(torch_refusals(missing[1:], python) if len(missing) > 1 else {})
        results[missing[0]] = True
    return {p: results[p] for p in paths}


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--scanners-venv", default="/root/scanners-venv")
    parser.add_argument("--torch-python", default=sys.executable, help="python with torch 2.15 (the fixture venv)")
    parser.add_argument("--extra", action="append", default=[],
                        help="LABEL=DIR: also score DIR/malicious and DIR/benign (e.g. the peers' own test files)")
    parser.add_argument("--details", help="write per-file verdicts (TSV) here")
    parser.add_argument("--only", action="append", choices=SCANNERS,
                        help="run only this scanner (repeatable), e.g. --only 'ckpt scan' to re-score its rows after a change")
    ARGS = parser.parse_args()
    if ARGS.only:
        SCANNERS[:] = [name for name in SCANNERS if name in ARGS.only]
    mal, ben = build(ARGS.out)
    corpora = [("corpus (scripts/security_corpus.py)", sorted(glob.glob(mal + "/*")), sorted(glob.glob(ben + "/*")))]
    for spec in ARGS.extra:
        label, folder = spec.split("=", 1)
        files = lambda kind: sorted(p for p in glob.glob(f"{folder}/{kind}/**/*", recursive=True) if os.path.isfile(p))
        corpora.append((label, files("malicious"), files("benign")))
    details = []
    for title, malicious, benign in corpora:
        details += score(title, malicious, benign)
    if ARGS.details:
        with open(ARGS.details, "w") as f:
            f.write("corpus\tfile\tlabel\t" + "\t".join(SCANNERS) + "\n")
            for row in details:
                f.write("\t".join(row) + "\n")


SCANNERS = ["ckpt scan", "picklescan", "modelscan", "fickling", "torch.load(weights_only=True)"]


def score(title, malicious, benign):
    """Prints one markdown table for a labelled set; returns per-file rows for --details."""
    print(f"\n{title}: {len(malicious)} malicious, {len(benign)} benign files\n")
    print("| scanner | malicious flagged | benign flagged (false positives) | malicious missed |")
    print("|---|---|---|---|")
    verdicts = {}
    for scanner in SCANNERS:
        if scanner.startswith("torch.load"):
            verdicts[scanner] = torch_refusals(malicious + benign, ARGS.torch_python)
        else:
            verdicts[scanner] = {p: flagged(scanner, p, ARGS.scanners_venv) for p in malicious + benign}
        hits = [p for p in malicious if verdicts[scanner][p]]
        false = [p for p in benign if verdicts[scanner][p]]
        missed = sorted(set(malicious) - set(hits))
        names = ", ".join(os.path.basename(p) for p in missed[:8]) + (" …" if len(missed) > 8 else "")
        print(f"| {scanner} | {len(hits)}/{len(malicious)} | {len(false)}/{len(benign)} | {names} |", flush=True)
    return [[title, p, "malicious" if p in malicious else "benign"] + ["flagged" if verdicts[n][p] else "passed" for n in SCANNERS]
            for p in malicious + benign]

if __name__ == "__main__":
    main()
