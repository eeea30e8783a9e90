"""PyTorch twin of tools/bench/train-throughput.ts (for comparison only, never a Leadwise
dependency): width 0.25, input 1x128x160 (NCHW), batch 32, Adam, binary cross-entropy on logits,
BatchNorm in training mode. --model picks the network, each built like its libs/models twin:
- resnet18 (default; architectures/resnet18.ts): stem conv 7x7/2 + BN + ReLU, max pool 3x3/2,
  2-2-2-2 basic blocks (16-32-64-128 channels), global average pool, dense 1.
- leadgroup (model-factory.ts, residual head): that ResNet18 plus the lead-group branch on the
  stage-3 map (8x10x64): per box of the standard 3x4 layout and rhythm strip (13 boxes) the
  area-weighted mean and the max over covered cells, dense 64, lead embedding, a pre-LN 4-head
  self-attention block, 5 group means, linear group attention, dense 1 on groups and context,
  added to the backbone's logit. Box pooling uses fixed masks (the boxes are the same every step).
- densenet121 (architectures/densenet121.ts): growth 8, blocks 6-12-24-16, bottleneck 4x growth,
  compression 0.5, average-pool transitions, final BN + ReLU, global average pool, dense 1.
- vgg16bn (architectures/vgg16.ts, batch norm as the standard profile): 13 conv3x3 + BN + ReLU
  (16-32-64-128-128 channels), five 2x2 max pools, FC 1024-ReLU twice, dense 1.
Dropout is left out (Leadwise's is one mask multiply per step). Prints the median ms per training
step, wall clock and CPU time of this process, over --steps runs after --warmup runs.

    /usr/bin/python3 tools/bench/train-step-resnet18.py [--model resnet18] [--threads 1] [--steps 10] [--warmup 2] [--json]

--core-scaling ROUNDS runs tools/bench/core-scaling.ts's protocol instead: blocks of --block steps
(the first not counted) cycling through one thread held to CPU 0 (taskset -a -p, every thread of
the process), one thread free and two threads free, ROUNDS times in this one process; it prints the
two-thread rate against each one-thread rate per round and their medians.

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


def scaled(base: int, width: float) -> int:
    return max(4, round(base * width))


def standard_layout_boxes() -> list[tuple[float, float, float, float]]:
    """tools/bench/train-throughput.ts's boxes: 12 leads in 4 columns of 3 rows, then the rhythm strip."""
    boxes = [(lead // 3 * 0.25, lead % 3 * 0.2, (lead // 3 + 1) * 0.25, (lead % 3 + 1) * 0.2) for lead in range(12)]
    return boxes + [(0.0, 0.6, 1.0, 0.8)]


# LEAD_GROUP_NAMES membership as in libs/models (limb I/II/III, augmented aVR/aVL/aVF, V1-V2, V3-V4,
# V5-V6, rhythm strip with lead II's group); which leads go where does not change the cost.
GROUP_MEMBERS = [[0, 1, 2, 12], [3, 4, 5], [6, 7], [8, 9], [10, 11]]


class LeadGroupECG(nn.Module):
    def __init__(self, width: float, height: int = 8, cols: int = 10) -> None:
        super().__init__()
        self.backbone = build_resnet18(width)
        channels = scaled(256, width)
        mean_weights = torch.zeros(13, height * cols)
        for b, (x0, y0, x1, y1) in enumerate(standard_layout_boxes()):
            for r in range(height):
                for c in range(cols):
                    overlap_y = max(0.0, min(y1, (r + 1) / height) - max(y0, r / height))
                    overlap_x = max(0.0, min(x1, (c + 1) / cols) - max(x0, c / cols))
                    mean_weights[b, r * cols + c] = overlap_y * overlap_x
        mean_weights /= mean_weights.sum(1, keepdim=True)
        self.register_buffer("mean_weights", mean_weights)
        self.register_buffer("max_mask", torch.where(mean_weights > 0, 0.0, float("-inf")))
        membership = torch.zeros(5, 13)
        for g, members in enumerate(GROUP_MEMBERS):
            membership[g, members] = 1.0 / len(members)
        self.register_buffer("membership", membership)
        self.projection = nn.Linear(2 * channels, 64)
        self.embedding = nn.Parameter(torch.zeros(13, 64))
        self.norm = nn.LayerNorm(64)
        self.attention = nn.MultiheadAttention(64, 4, batch_first=True)
        self.group_scores = nn.Linear(64, 1)
        self.classifier = nn.Linear(5 * 64 + 64, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layers = list(self.backbone.children())
        for layer in layers[:8]:  # stem (4 modules), stages 1-2 (2 blocks each)
            x = layer(x)
        for layer in layers[8:10]:  # stage 3: the stride-16 map
            x = layer(x)
        stride16 = x
        for layer in layers[10:]:
            x = layer(x)
        cells = stride16.flatten(2)  # [B, C, h*w]
        lead_mean = torch.einsum("bcn,ln->blc", cells, self.mean_weights)
        lead_max = (cells.unsqueeze(1) + self.max_mask[None, :, None, :]).amax(-1)  # [B, 13, C]
        tokens = self.projection(torch.cat([lead_mean, lead_max], -1)) + self.embedding
        normalised = self.norm(tokens)
        tokens = tokens + self.attention(normalised, normalised, normalised, need_weights=False)[0]
        groups = torch.einsum("gl,bld->bgd", self.membership, tokens)
        attention = torch.softmax(self.group_scores(groups).squeeze(-1), -1)
        context = torch.einsum("bg,bgd->bd", attention, groups)
        return x + self.classifier(torch.cat([groups.flatten(1), context], -1))


class DenseLayer(nn.Module):
    def __init__(self, in_channels: int, growth: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.ReLU(), nn.Conv2d(in_channels, 4 * growth, 1, bias=False),
            nn.BatchNorm2d(4 * growth), nn.ReLU(), nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.body(x)], 1)


def build_densenet121(width: float) -> nn.Module:
    growth = scaled(32, width)
    channels = 2 * growth
    layers: list[nn.Module] = [
        nn.Conv2d(1, channels, 7, 2, 3, bias=False), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
    ]
    for index, count in enumerate((6, 12, 24, 16)):
        for _ in range(count):
            layers.append(DenseLayer(channels, growth))
            channels += growth
        if index < 3:
            out = channels // 2
            layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, out, 1, bias=False), nn.AvgPool2d(2, 2)]
            channels = out
    layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 1)]
    return nn.Sequential(*layers)


def build_vgg16bn(width: float) -> nn.Module:
    layers: list[nn.Module] = []
    in_channels = 1
    for block in ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)):
        for base in block:
            c = scaled(base, width)
            layers += [nn.Conv2d(in_channels, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            in_channels = c
        layers.append(nn.MaxPool2d(2, 2))
    fc = scaled(4096, width)
    layers += [
        nn.Flatten(), nn.Linear(in_channels * 4 * 5, fc), nn.ReLU(), nn.Linear(fc, fc), nn.ReLU(), nn.Linear(fc, 1),
    ]
    return nn.Sequential(*layers)


BUILDERS = {
    "resnet18": build_resnet18,
    "leadgroup": LeadGroupECG,
    "densenet121": build_densenet121,
    "vgg16bn": build_vgg16bn,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(BUILDERS), default="resnet18")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--width", type=float, default=0.25)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--core-scaling", type=int, default=0, metavar="ROUNDS")
    parser.add_argument("--block", type=int, default=4)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = BUILDERS[args.model](args.width)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    xs = torch.rand(32, 1, 128, 160)
    ys = torch.tensor([[float(i % 2)] for i in range(32)])

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(xs), ys).backward()
        optimizer.step()

    if args.core_scaling:
        core_scaling(args, train_step)
        return
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
        "model": f"{args.model} width {args.width}, 1x128x160, batch 32",
        "trainableParams": sum(p.numel() for p in model.parameters() if p.requires_grad),
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
            f"{args.model} {result['backend']} ({args.threads} thread): {result['medianStepMs']} ms/step "
            f"({result['medianStepCpuMs']} ms CPU), {result['trainImagesPerS']} img/s; steps {' '.join(map(str, result['stepMs']))}"
        )


def core_scaling(args: argparse.Namespace, train_step) -> None:
    """Alternating blocks of 1 core / 1 thread / 2 threads in this process (see the module's text)."""
    import subprocess

    all_cpus = f"0-{os.cpu_count() - 1}"

    def use(configuration: str) -> None:
        torch.set_num_threads(2 if configuration == "2thread" else 1)
        cpus = "0" if configuration == "1core" else all_cpus
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(os.getpid())], check=True, stdout=subprocess.DEVNULL)

    configurations = ["1core", "1thread", "2thread"]
    for configuration in configurations:
        use(configuration)
        train_step()
    step_ms = {c: [] for c in configurations}
    per_round = []
    for round_index in range(args.core_scaling):
        medians = {}
        for k in range(len(configurations)):
            configuration = configurations[(round_index + k) % len(configurations)]
            use(configuration)
            times = []
            for i in range(args.block):
                t0 = time.perf_counter()
                train_step()
                if i > 0:
                    times.append((time.perf_counter() - t0) * 1000)
            step_ms[configuration] += times
            medians[configuration] = statistics.median(times)
        per_round.append(medians)
        print(f"round {round_index + 1}/{args.core_scaling}: " + ", ".join(f"{c} {medians[c]:.1f} ms" for c in configurations), file=sys.stderr)
    over_core = [round(r["1core"] / r["2thread"], 3) for r in per_round]
    over_thread = [round(r["1thread"] / r["2thread"], 3) for r in per_round]
    result = {
        "backend": f"pytorch {torch.__version__} cpu",
        "model": f"{args.model} width {args.width}, 1x128x160, batch 32",
        "rounds": args.core_scaling,
        "block": args.block,
        "imagesPerS": {c: round(32_000 / statistics.median(step_ms[c]), 1) for c in configurations},
        "twoThreadsOverOneCore": over_core,
        "twoThreadsOverOneThread": over_thread,
        "medianTwoThreadsOverOneCore": round(statistics.median(over_core), 3),
        "medianTwoThreadsOverOneThread": round(statistics.median(over_thread), 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.model} {result['backend']}: img/s " + ", ".join(f"{c} {v}" for c, v in result["imagesPerS"].items()))
        print(f"  2 threads / 1 core, per round: {' '.join(map(str, over_core))} (median {result['medianTwoThreadsOverOneCore']})")
        print(f"  2 threads / 1 thread, per round: {' '.join(map(str, over_thread))} (median {result['medianTwoThreadsOverOneThread']})")


if __name__ == "__main__":
    main()
