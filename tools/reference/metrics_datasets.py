"""Fixed datasets for the libs/metrics reference values. The same formulas are implemented in
libs/metrics/src/testing.ts (referenceDatasets); keep the two in step.

Scores are integers divided by an integer, so Python, R and JavaScript parse the same doubles.
"""


def ties1000():
    # 7919 is coprime with 1000, so (7919 i) mod 1000 is a permutation: exactly 300 positives.
    rows = []
    for i in range(1000):
        label = 1 if (i * 7919) % 1000 < 300 else 0
        k_a = (i * 37) % 13 + 5 * label + (i * 11) % 7
        k_b = (i * 53) % 17 + 3 * label + i % 5
        k_c = (i * 7907) % 997 + 400 * label
        rows.append((label, k_a / 25, k_b / 25, k_c / 1400))
    return ["label", "a", "b", "c"], rows


def separated1000():
    # A strong and a weak model on the same samples: z near 10, p near 1e-23, to check tails.
    rows = []
    for i in range(1000):
        label = 1 if (i * 7919) % 1000 < 400 else 0
        k_strong = (i * 7907) % 997 + 900 * label
        k_weak = (i * 7907) % 997 + ((i * 31) % 7) * 60 * label
        rows.append((label, k_strong / 2000, k_weak / 2000))
    return ["label", "strong", "weak"], rows


def hard1000():
    # Hard 0/1 predictions (an LLM's yes/no): "AUC" equals balanced accuracy.
    rows = []
    for i in range(1000):
        label = 1 if (i * 7919) % 1000 < 250 else 0
        pred = 1 if ((i * 13) % 10 < (7 if label else 2)) else 0
        rows.append((label, float(pred)))
    return ["label", "pred"], rows


def small4():
    return ["label", "s", "t"], [(0, 0.1, 0.2), (0, 0.4, 0.1), (1, 0.35, 0.9), (1, 0.8, 0.3)]


def alltied():
    return ["label", "s"], [(i % 3 == 0 and 1 or 0, 0.5) for i in range(30)]


DATASETS = {
    "ties1000": ties1000,
    "separated1000": separated1000,
    "hard1000": hard1000,
    "small4": small4,
    "alltied": alltied,
}
