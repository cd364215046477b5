"""The Branin function as a command trial: exits 3 (the study's "failed" code) where x > 5,
else appends {"val_loss": value} to $TUNER_METRICS_FILE."""
import json
import math
import os
import sys

x, y = float(sys.argv[1]), float(sys.argv[2])
if x > 5:
    print(f"x = {x} is in the failing region", file=sys.stderr)
    sys.exit(3)
b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
value = (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10
with open(os.environ["TUNER_METRICS_FILE"], "a") as f:
    f.write(json.dumps({"val_loss": value}) + "\n")
