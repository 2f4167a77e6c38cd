import argparse, json, os
p = argparse.ArgumentParser(); p.add_argument("--a", type=int); p.add_argument("--b", type=float, default=0.0)
a = p.parse_args()
with open(os.environ["SWEEPER_METRICS"], "a") as f:
    for step in range(3):
        f.write(json.dumps({"loss": (a.a or 0) + a.b + 1.0 / (step + 1), "epoch": step}) + "\n")
raise SystemExit(1 if a.a == 3 else 0)
