"""PyTorch twin of tools/bench/train-step.ts, for comparison only (never a Leadwise dependency).

The same micro-net (conv 3x3 16 -> maxpool 2 -> conv 3x3 32 -> maxpool 2 -> conv 3x3 64 stride 2
-> global average pool -> dense 1, 'same' padding, ReLU, Adam, binary cross-entropy on logits),
input 1x64x256 (NCHW), batch 32. Prints the median ms per training step and per forward batch,
wall clock and CPU time of this process, over --steps runs after --warmup runs.

    python3 tools/bench/train-step.py [--threads 1] [--steps 10] [--warmup 2] [--json]

Torch here is Debian's python3-torch (apt-get install -y python3-torch), run with /usr/bin/python3.

glibc's malloc returns PyTorch's large activations to the kernel after every step unless told not to,
and re-faulting them in costs PyTorch a large share of a step. The script therefore re-executes
itself with MALLOC_MMAP_THRESHOLD_=2147483647 and MALLOC_TRIM_THRESHOLD_=4294967296 (glibc reads
them only at process start) unless they are set; numbers measured before this change lacked them.
"""

import argparse
import json
import os
import statistics
import sys
import time

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "2147483647", "MALLOC_TRIM_THRESHOLD_": "4294967296"}
if any(key not in os.environ for key in MALLOC_ENV):
    os.execve(sys.executable, [sys.executable, *sys.argv], {**MALLOC_ENV, **os.environ})

import torch  # noqa: E402  (after the re-exec: the allocator settings must precede torch's allocations)
from torch import nn  # noqa: E402


def build_micro_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        # TF 'same' with stride 2 on an even size pads (0, 1); padding=1 gives the same output size.
        nn.Conv2d(32, 64, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = build_micro_net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    xs = torch.rand(32, 1, 64, 256)
    ys = torch.tensor([[float(i % 2)] for i in range(32)])

    def train_step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs), ys)
        loss.backward()
        optimizer.step()
        return loss.item()

    def forward() -> None:
        with torch.no_grad():
            model(xs).numpy()

    def timed(f):
        wall, cpu = time.perf_counter(), time.process_time()
        f()
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

    for _ in range(args.warmup):
        train_step()
        forward()
    step_wall, step_cpu, fwd_wall, fwd_cpu = [], [], [], []
    for _ in range(args.steps):
        w, c = timed(train_step)
        step_wall.append(w)
        step_cpu.append(c)
        w, c = timed(forward)
        fwd_wall.append(w)
        fwd_cpu.append(c)

    result = {
        "backend": f"pytorch {torch.__version__} cpu",
        "threads": args.threads,
        "mallocEnv": {key: os.environ[key] for key in MALLOC_ENV},
        "steps": args.steps,
        "warmup": args.warmup,
        "medianStepMs": round(statistics.median(step_wall), 1),
        "medianStepCpuMs": round(statistics.median(step_cpu), 1),
        "medianForwardMs": round(statistics.median(fwd_wall), 1),
        "medianForwardCpuMs": round(statistics.median(fwd_cpu), 1),
        "stepMs": [round(v) for v in step_wall],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"train-step {result['backend']} ({args.threads} thread): {result['medianStepMs']} ms/step "
            f"({result['medianStepCpuMs']} ms CPU), {result['medianForwardMs']} ms/forward batch "
            f"({result['medianForwardCpuMs']} ms CPU); median of {args.steps} after {args.warmup} warm-up; "
            f"steps {' '.join(str(v) for v in result['stepMs'])}"
        )


if __name__ == "__main__":
    main()
