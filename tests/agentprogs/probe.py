"""A program for agent tests: records how it was called, then behaves as its arguments say.

Understands --key=value arguments (others are only recorded):
  sleep=S        sleep S seconds before exiting (in small steps, logging `tick` lines)
  exit=N         exit with code N
  kill=SIG       kill itself with signal SIG
  lines=N        write N metric lines {"step": i, "loss": f(i)}
  loss=X         base of the loss (default 1.0); loss at line i is X / (i + 1)
  trap=1         ignore SIGTERM (so only SIGKILL ends it)
  spawn=1        start a grandchild that sleeps, and record its pid
"""
import json
import os
import signal
import subprocess
import sys
import time

args = {}
for a in sys.argv[1:]:
    if a.startswith("--") and "=" in a:
        k, v = a[2:].split("=", 1)
        args[k] = v

run_dir = os.environ.get("SWEEPER_RUN_DIR", ".")
record = {"argv": sys.argv[1:], "pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
          "env": {k: v for k, v in os.environ.items() if k.startswith(("SWEEPER_", "CUDA_"))},
          "stdin_closed": False}
try:
    record["stdin_closed"] = sys.stdin is None or sys.stdin.read() == ""
except (OSError, ValueError):
    record["stdin_closed"] = True
if args.get("spawn") == "1":
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    record["grandchild"] = grandchild.pid
with open(os.path.join(run_dir, "probe.json"), "w") as f:
    json.dump(record, f)

if args.get("trap") == "1":
    signal.signal(signal.SIGTERM, lambda *a: print("ignoring SIGTERM", flush=True))
else:
    def on_term(*_):
        print("got SIGTERM, saving checkpoint", flush=True)
        with open(os.path.join(run_dir, "terminated"), "w") as f:
            f.write("yes")
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)

metrics = os.environ.get("SWEEPER_METRICS")
base = float(args.get("loss", "1.0"))
if metrics and "lines" in args:
    with open(metrics, "a") as f:
        for i in range(int(args["lines"])):
            f.write(json.dumps({"step": i, "loss": base / (i + 1)}) + "\n")
print("probe running", flush=True)
if "sleep" in args and not os.environ.get("PROBE_FAST"):
    end = time.time() + float(args["sleep"])
    while time.time() < end:
        time.sleep(0.05)
if "kill" in args:
    os.kill(os.getpid(), int(args["kill"]))
    time.sleep(5)
sys.exit(int(args.get("exit", "0")))
