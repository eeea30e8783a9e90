"""PyTorch twin of tools/bench/train-throughput.ts for ResNet18 (for comparison only, never a
Leadwise dependency): width 0.25 (16-32-64-128 channels), input 1x128x160 (NCHW), batch 32, Adam,
binary cross-entropy on logits, BatchNorm in training mode, like libs/models/src/architectures/resnet18.ts
(stem conv 7x7/2 + BN + ReLU, max pool 3x3/2, 2-2-2-2 basic blocks, global average pool, dense 1).
Prints the median ms per training step, wall clock and CPU time of this process, over --steps
runs after --warmup runs.

    /usr/bin/python3 tools/bench/train-step-resnet18.py [--threads 1] [--steps 10] [--warmup 2] [--json]

glibc's malloc returns PyTorch's large activations to the kernel after every step unless told not to,
and the page faults of re-allocating them cost PyTorch about a third of a step on a loaded machine.
The script therefore re-executes itself with MALLOC_MMAP_THRESHOLD_=2147483647 and
MALLOC_TRIM_THRESHOLD_=4294967296 (glibc reads them only at process start) unless they are set.
Torch here is Debian's python3-torch (apt-get install -y python3-torch), run with /usr/bin/python3.
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


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, channels: int, stride: int) -> None:
        super().__init__()
        self.a = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU()
        )
        self.b = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels))
        self.down = (
            nn.Sequential(nn.Conv2d(in_channels, channels, 1, stride, bias=False), nn.BatchNorm2d(channels))
            if stride != 1 or in_channels != channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.b(self.a(x)) + self.down(x))


def build_resnet18(width: float) -> nn.Module:
    channels = [max(1, round(c * width)) for c in (64, 128, 256, 512)]
    layers: list[nn.Module] = [
        # TF 'same' with stride 2 on even sizes pads (2, 3) for 7x7; padding=3 gives the same output size.
        nn.Conv2d(1, channels[0], 7, 2, 3, bias=False),
        nn.BatchNorm2d(channels[0]),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    in_channels = channels[0]
    for stage, c in enumerate(channels):
        for block in range(2):
            layers.append(BasicBlock(in_channels, c, 2 if stage > 0 and block == 0 else 1))
            in_channels = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, 1)]
    return nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = build_resnet18(args.width)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    xs = torch.rand(32, 1, 128, 160)
    ys = torch.tensor([[float(i % 2)] for i in range(32)])

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(xs), ys).backward()
        optimizer.step()

    for _ in range(args.warmup):
        train_step()
    wall, cpu = [], []
    for _ in range(args.steps):
        w0, c0 = time.perf_counter(), time.process_time()
        train_step()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    result = {
        "backend": f"pytorch {torch.__version__} cpu",
        "model": f"resnet18 width {args.width}, 1x128x160, batch 32",
        "threads": args.threads,
        "mallocEnv": {key: os.environ[key] for key in MALLOC_ENV},
        "medianStepMs": round(statistics.median(wall), 1),
        "medianStepCpuMs": round(statistics.median(cpu), 1),
        "trainImagesPerS": round(32_000 / statistics.median(wall), 1),
        "stepMs": [round(v) for v in wall],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"resnet18 {result['backend']} ({args.threads} thread): {result['medianStepMs']} ms/step "
            f"({result['medianStepCpuMs']} ms CPU), {result['trainImagesPerS']} img/s; steps {' '.join(map(str, result['stepMs']))}"
        )


if __name__ == "__main__":
    main()
