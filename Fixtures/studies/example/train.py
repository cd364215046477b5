"""An example training script for command trials: fits y = w·x by gradient descent with the
learning rate it is given, and reports its loss per epoch as JSON lines in $TUNER_METRICS_FILE.

Run by `tuner search Fixtures/studies/command-example.yaml`, it gets its hyperparameters as
arguments (and as TUNER_HP_* variables), its trial seed in TUNER_TRIAL_SEED, and exits 3 (the
study's "failed" code) for a learning rate that would diverge.
"""
import argparse
import json
import os
import random
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()

rng = random.Random(int(os.environ.get("TUNER_TRIAL_SEED", "0")) % (2 ** 32))
xs = [rng.uniform(-1, 1) for _ in range(64)]
ys = [3 * x + rng.gauss(0, 0.1) for x in xs]
if args.lr > 1.5:
    print(f"learning rate {args.lr} diverges", file=sys.stderr)
    sys.exit(3)
w = 0.0
with open(os.environ["TUNER_METRICS_FILE"], "a") as metrics:
    for epoch in range(args.epochs):
        grad = sum(2 * (w * x - y) * x for x, y in zip(xs, ys)) / len(xs)
        w -= args.lr * grad
        loss = sum((w * x - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        metrics.write(json.dumps({"epoch": epoch, "loss": loss, "val_loss": loss * 1.05}) + "\n")
        print(f"epoch {epoch}: loss {loss:.4f}")
