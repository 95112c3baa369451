"""dualmatch.matching_compat against the `matching` package on a large
hospital-resident game: build (create_from_dictionaries) plus solve.

    python crates/python/bench/compat_bench.py            # 10,000 x 2,000
    python crates/python/bench/compat_bench.py --residents 2000 --hospitals 400

Every resident ranks `--list` hospitals drawn at random; every hospital ranks
exactly the residents who ranked it, in random order (so the lists are
mutual and `matching` needs no cleaning); each hospital has `--capacity`
places. Both answers are checked to be the same before the times are
printed. Needs `pip install matching`. Not run in CI: it needs a quiet
machine, and `matching` takes minutes at full size.
"""

import argparse
import random
import sys
import threading
import time
import warnings


def make_game(residents, hospitals, list_len, capacity, seed):
    rng = random.Random(seed)
    hospital_names = [f"h{j}" for j in range(hospitals)]
    resident_prefs = {f"r{i}": rng.sample(hospital_names, list_len) for i in range(residents)}
    ranked_by = {h: [] for h in hospital_names}
    for r, hs in resident_prefs.items():
        for h in hs:
            ranked_by[h].append(r)
    hospital_prefs = {}
    for h, rs in ranked_by.items():
        rng.shuffle(rs)
        hospital_prefs[h] = rs
    capacities = {h: capacity for h in hospital_names}
    return resident_prefs, hospital_prefs, capacities


def run(cls, game, optimal):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = cls.create_from_dictionaries(*game)
    t1 = time.perf_counter()
    matching = g.solve(optimal=optimal)
    t2 = time.perf_counter()
    answer = {h.name: sorted(r.name for r in rs) for h, rs in matching.items() if rs}
    return t1 - t0, t2 - t1, answer


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=10_000)
    ap.add_argument("--hospitals", type=int, default=2_000)
    ap.add_argument("--list", type=int, default=20, help="hospitals each resident ranks")
    ap.add_argument("--capacity", type=int, default=5)
    ap.add_argument("--optimal", choices=["resident", "hospital"], default="resident")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    from matching.games import HospitalResident as Reference

    from dualmatch.matching_compat import HospitalResident

    game = make_game(a.residents, a.hospitals, a.list, a.capacity, a.seed)
    print(f"{a.residents} residents x {a.hospitals} hospitals, {a.list} hospitals per list, capacity {a.capacity}")
    b1, s1, ours = run(HospitalResident, game, a.optimal)
    print(f"dualmatch.matching_compat: build {b1:.3f} s, solve {s1:.3f} s, total {b1 + s1:.3f} s")
    # matching deep-copies the players on creation, recursively: at this size
    # that needs a deep recursion limit and a large stack (its own thread).
    sys.setrecursionlimit(10_000_000)
    threading.stack_size(1 << 30)
    box = {}
    worker = threading.Thread(target=lambda: box.update(r=run(Reference, game, a.optimal)))
    worker.start()
    worker.join()
    b2, s2, theirs = box["r"]
    print(f"matching:                  build {b2:.3f} s, solve {s2:.3f} s, total {b2 + s2:.3f} s")
    if ours != theirs:
        raise SystemExit("the answers differ")
    print(f"same matching ({sum(map(len, ours.values()))} residents placed); "
          f"dualmatch is {(b2 + s2) / (b1 + s1):.0f}x faster (build + solve)")


if __name__ == "__main__":
    main()
