"""Kill `sokasi-post publish` at random moments and check that every product ends up posted exactly once.

Each trial: a fresh catalogue of four products and a fake Graph API server on 127.0.0.1 with latency;
`publish` is started as its own process and killed with SIGKILL after a random time, then run again
until it finishes; the server must hold exactly one post per product, and `status --json` must agree.

Run from the repository root (POSIX only):  python scripts/kill_test.py [--trials 30] [--backend facebook|graph]
(graph: Instagram through Meta's official API, its photos served from the site the run builds).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.killtrial import BACKENDS, run_trial


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1000, help="first random seed (trial n uses seed + n)")
    parser.add_argument("--backend", choices=BACKENDS, default="facebook",
                        help="facebook: posts on the Page; graph: Instagram through Meta's official API")
    args = parser.parse_args()
    duplicates = lost = disagreements = 0
    print(f"{'trial':>5} {'killed after':>12} {'requests':>9} {'posts':>6} {'runs to finish':>15}  result")
    for trial in range(args.trials):
        result = run_trial(args.seed + trial, backend=args.backend)
        duplicates += result.duplicates
        lost += result.lost
        disagreements += not result.status_agrees
        verdict = "ok" if (result.duplicates, result.lost, result.status_agrees) == (0, 0, True) else "WRONG"
        print(f"{trial + 1:>5} {result.killed_after:>11.2f}s {result.calls_at_kill:>9} {result.posts_at_kill:>6} "
              f"{result.runs_to_finish:>15}  {verdict}")
    print(f"{args.trials} trials: {duplicates} duplicates, {lost} lost, {disagreements} status disagreements")
    return 0 if duplicates == lost == disagreements == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
