"""Reference for tools/bench/render.ts: a 200 DPI letter 12-lead page drawn with matplotlib the way
ecg-image-kit draws it (one ax.plot per lead, one line per grid square edge, text labels, savefig
PNG). Usage: python3 render-matplotlib.py signals.json seconds -> JSON {pagesPerSecond, ...}."""
import json
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

data = json.load(open(sys.argv[1]))
seconds = float(sys.argv[2])
fs = data["fs"]
signals = {name: np.asarray(s, dtype=np.float32) for name, s in zip(data["leads"], data["signals"])}
columns = [["I", "II", "III"], ["aVR", "aVL", "aVF"], ["V1", "V2", "V3"], ["V4", "V5", "V6"]]


def page(path):
    fig, ax = plt.subplots(figsize=(11, 8.5))
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, 279.4)
    ax.set_ylim(0, 215.9)
    ax.axis("off")
    for x in np.arange(10, 270, 1.0):
        major = int(round(x)) % 5 == 0
        ax.axvline(x, color=(0.88, 0.31, 0.31) if major else (0.96, 0.67, 0.67), linewidth=0.6 if major else 0.3, zorder=0)
    for y in np.arange(10, 206, 1.0):
        major = int(round(y)) % 5 == 0
        ax.axhline(y, color=(0.88, 0.31, 0.31) if major else (0.96, 0.67, 0.67), linewidth=0.6 if major else 0.3, zorder=0)
    for c, leads in enumerate(columns):
        for r, lead in enumerate(leads):
            s = signals[lead][int(c * 2.5 * fs): int((c + 1) * 2.5 * fs)]
            t = 20 + c * 62.5 + np.arange(len(s)) / fs * 25
            base = 180 - r * 42.5
            ax.plot(t, base + 10 * s, color="black", linewidth=0.7)
            ax.text(21 + c * 62.5, base + 7, lead, fontsize=10)
    s = signals["II"][: int(10 * fs)]
    ax.plot(20 + np.arange(len(s)) / fs * 25, 52.5 + 10 * s, color="black", linewidth=0.7)
    fig.savefig(path, dpi=200)
    plt.close(fig)


page("/tmp/leadwise-matplotlib-page.png")
start = time.perf_counter()
cpu_start = time.process_time()
pages = 0
while time.perf_counter() - start < seconds:
    page("/tmp/leadwise-matplotlib-page.png")
    pages += 1
wall = time.perf_counter() - start
cpu = time.process_time() - cpu_start
print(json.dumps({"pages": pages, "pagesPerSecond": round(pages / wall, 2), "cpuMsPerPage": round(1000 * cpu / pages, 1), "threads": 1}))
