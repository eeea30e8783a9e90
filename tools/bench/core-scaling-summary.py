#!/usr/bin/env python3
"""Tabulates tools/bench/core-scaling-sitting.sh's lines (stdin or files): per network, engine and
pass, the rates (img/s, median step of each configuration) and the median per-round ratios of two
threads to one core and to one thread.

    python3 tools/bench/core-scaling-summary.py sitting.jsonl
"""
import fileinput
import json

print('| network | engine | pass (start) | 1 core | 1 thread | 2 threads | 2 threads / 1 core, median (range) | 2 threads / 1 thread, median (range) |')
print('|---|---|---|---|---|---|---|---|')
for line in fileinput.input():
    try:
        d = json.loads(line)
    except ValueError:
        continue
    engine = 'pytorch' if str(d.get('backend', '')).startswith('pytorch') else 'leadwise'
    network = d.get('network') or d.get('architecture') or str(d.get('model', '?')).split()[0]
    r = d['imagesPerS']
    core, thread = d['twoThreadsOverOneCore'], d['twoThreadsOverOneThread']
    print(f"| {network} | {engine} | {d.get('pass', '?')} ({d.get('start', '?')}) | {r['1core']} | {r['1thread']} | {r['2thread']} | "
          f"{d['medianTwoThreadsOverOneCore']:.2f} ({min(core):.2f}-{max(core):.2f}) | {d['medianTwoThreadsOverOneThread']:.2f} ({min(thread):.2f}-{max(thread):.2f}) |")
