#!/usr/bin/env python3
"""Summarises tools/bench/engine-sitting.sh's rows (stdin or files): per network and round, each
engine's two-thread rate against its one-thread and its one-core rate, and Leadwise against PyTorch.

    python3 tools/bench/sitting-summary.py sitting.tsv
"""
import collections
import fileinput

rates = collections.defaultdict(dict)  # (model, round) -> configuration -> img/s
for line in fileinput.input():
    parts = line.rstrip('\n').split('\t')
    if len(parts) < 6 or not parts[5]:
        continue
    try:
        rates[(parts[0], parts[1])][parts[2]] = float(parts[5])
    except ValueError:
        continue

print('| network | round | Leadwise 2 threads queued / 1 thread | / 1 core | PyTorch 2 threads / 1 thread | / 1 core | Leadwise / PyTorch, 1 thread | 1 core | 2 threads |')
print('|---|---|---|---|---|---|---|---|---|')
for (model, rnd), r in rates.items():
    def ratio(a, b):
        return f'{r[a] / r[b]:.2f}' if a in r and b in r and r[b] > 0 else '-'
    print(f"| {model} | {rnd} | {ratio('leadwise-2t-queue', 'leadwise-1t')} | {ratio('leadwise-2t-queue', 'leadwise-1core')} | "
          f"{ratio('pytorch-2t', 'pytorch-1t')} | {ratio('pytorch-2t', 'pytorch-1core')} | {ratio('leadwise-1t', 'pytorch-1t')} | "
          f"{ratio('leadwise-1core', 'pytorch-1core')} | {ratio('leadwise-2t-queue', 'pytorch-2t')} |")
