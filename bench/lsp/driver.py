#!/usr/bin/env python3
"""Drive `skelc lsp` over stdio on a generated workspace and time it.

usage: driver.py SKELC WORKSPACE [N] [--edit REL] [--initial-ms MS] [--rss-mb MB]

Measures: the diagnostics of one file opened right after `initialized` (REL, default
modules/svc/main.skel, the file edited later) and the initial diagnostics of the workspace (to
the end of the server's first-check work-done progress, which comes after every file with
diagnostics was published; clean files nobody opened are not published);
didChange (a one-character edit inside a resource body: the first line of REL holding
`"${local.full}`) -> publishDiagnostics for that file, p50/p95 over N edits; hover and
completion p50/p95 over N requests; the server's RSS (now and peak). Prints a table and exits 1
if a target is missed (initial diagnostics, default 300 ms; peak RSS, default 150 MB; edits
15 ms; hover and completion 10 ms)."""
import argparse, json, os, subprocess, sys, threading, time, queue

args = argparse.ArgumentParser(usage=__doc__)
args.add_argument("skelc")
args.add_argument("ws")
args.add_argument("n", nargs="?", type=int, default=200)
args.add_argument("--edit", default="modules/svc/main.skel")
args.add_argument("--initial-ms", type=float, default=300.0)
args.add_argument("--rss-mb", type=float, default=150.0)
args = args.parse_args()
skelc, ws, n = args.skelc, os.path.abspath(args.ws), args.n
TARGETS = {"initial": args.initial_ms, "edit": 15.0, "hover": 10.0, "completion": 10.0,
           "rss": args.rss_mb}

proc = subprocess.Popen([skelc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
inbox = queue.Queue()


def reader():
    out = proc.stdout
    while True:
        length = None
        while True:
            line = out.readline()
            if not line:
                return
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        inbox.put((time.perf_counter(), json.loads(out.read(length))))


threading.Thread(target=reader, daemon=True).start()
next_id = [0]


def send(msg):
    body = json.dumps(msg).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def notify(method, params):
    msg = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    send(msg)


def wait(pred, timeout=60):
    deadline = time.perf_counter() + timeout
    while True:
        t, msg = inbox.get(timeout=max(0.001, deadline - time.perf_counter()))
        if "id" in msg and "method" in msg:  # a request from the server: accept it
            send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            continue
        if pred(msg):
            return t, msg


def request(method, params):
    next_id[0] += 1
    rid = next_id[0]
    t0 = time.perf_counter()
    msg = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        msg["params"] = params
    send(msg)
    t1, msg = wait(lambda m: m.get("id") == rid and "method" not in m)
    if "error" in msg:
        sys.exit(f"{method} failed: {msg['error']}")
    return (t1 - t0) * 1000, msg.get("result")


def uri(path):
    return "file://" + path


def is_publish(msg, u=None):
    return msg.get("method") == "textDocument/publishDiagnostics" and (
        u is None or msg["params"]["uri"] == u)


skel_files = sorted(uri(os.path.join(d, f)) for d, _, fs in os.walk(ws) for f in fs
                    if f.endswith(".skel"))
svc = os.path.join(ws, args.edit)
text = open(svc).read()
lines = text.split("\n")
edit_line = next(i for i, l in enumerate(lines) if '"${local.full}' in l)
col = lines[edit_line].index('"') + 1
request("initialize", {"processId": os.getpid(), "rootUri": uri(ws),
                       "workspaceFolders": [{"uri": uri(ws), "name": "bench"}],
                       "capabilities": {"window": {"workDoneProgress": True}}})
t0 = time.perf_counter()
notify("initialized", {})
notify("textDocument/didOpen", {"textDocument": {"uri": uri(svc), "languageId": "skel",
                                                 "version": 1, "text": text}})
def is_first_check_end(msg):
    return (msg.get("method") == "$/progress" and msg["params"]["token"] == "skel/first-check"
            and msg["params"]["value"]["kind"] == "end")


n_diags, t_open, t_all, published = 0, None, None, set()
while t_all is None or t_open is None:
    t_last, msg = wait(lambda m: is_publish(m) or is_first_check_end(m))
    if is_first_check_end(msg):
        t_all = t_last
        print("first check:", msg["params"]["value"].get("message", ""))
        continue
    u = msg["params"]["uri"]
    if u == uri(svc) and msg["params"].get("version") == 1 and t_open is None:
        t_open = t_last
    if t_all is None and u not in published:
        published.add(u)
        n_diags += len(msg["params"]["diagnostics"])
opened = (t_open - t0) * 1000
initial = (t_all - t0) * 1000


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


edits = []
for i in range(n):
    insert = i % 2 == 0
    rng = {"start": {"line": edit_line, "character": col},
           "end": {"line": edit_line, "character": col if insert else col + 1}}
    t = time.perf_counter()
    notify("textDocument/didChange", {
        "textDocument": {"uri": uri(svc), "version": i + 2},
        "contentChanges": [{"range": rng, "text": "x" if insert else ""}]})
    t1, msg = wait(lambda m: is_publish(m, uri(svc)) and m["params"].get("version") == i + 2)
    edits.append((t1 - t) * 1000)

at_local = lines[edit_line].index("local.full") + 7
hovers, completions, answered = [], [], {"hover": 0, "completion": 0}
for _ in range(n):
    ms, result = request("textDocument/hover", {"textDocument": {"uri": uri(svc)},
                                                "position": {"line": edit_line, "character": at_local}})
    hovers.append(ms)
    answered["hover"] += bool(result)
env_line = next(i for i, l in enumerate(lines) if "local.labels" in l)
after_dot = lines[env_line].index("local.") + len("local.")
for _ in range(n):
    ms, result = request("textDocument/completion", {
        "textDocument": {"uri": uri(svc)},
        "position": {"line": env_line, "character": after_dot},
        "context": {"triggerKind": 2, "triggerCharacter": "."}})
    completions.append(ms)
    answered["completion"] += bool(result)


def status(field):
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


rss, peak = status("VmRSS"), status("VmHWM")
request("shutdown", None)
notify("exit", None)
proc.wait(timeout=10)

rows = [
    ("diagnostics of the file opened at start", opened, TARGETS["initial"], "ms"),
    ("initial diagnostics (%d files, %d published, %d diag.)" % (len(skel_files), len(published),
                                                              n_diags), initial,
     TARGETS["initial"], "ms"),
    ("didChange -> publishDiagnostics p95 (p50 %.2f)" % p(edits, 0.5), p(edits, 0.95),
     TARGETS["edit"], "ms"),
    ("hover p95 (p50 %.2f, %d/%d non-empty)" % (p(hovers, 0.5), answered["hover"], n), p(hovers, 0.95), TARGETS["hover"], "ms"),
    ("completion p95 (p50 %.2f, %d/%d non-empty)" % (p(completions, 0.5),
                                                     answered["completion"], n), p(completions, 0.95),
     TARGETS["completion"], "ms"),
    ("server peak RSS (now %.1f)" % rss, peak, TARGETS["rss"], "MB"),
]
print(f"| {'measure':<52} | {'value':>9} | {'target':>8} | ok |")
print(f"|{'-' * 54}|{'-' * 11}|{'-' * 10}|----|")
failed = False
for name, value, target, unit in rows:
    ok = value <= target
    failed |= not ok
    print(f"| {name:<52} | {value:7.2f}{unit} | {target:6.0f}{unit} | {'yes' if ok else 'NO '} |")
sys.exit(1 if failed else 0)
