"""How long `sokasi-post site` takes on the sample catalogue: the first build (photos prepared) and a warm one.

The bundled sample (posts/ and config.yaml, with a site section added) is copied into a temporary folder, then
`sokasi-post site` is run there as a person runs it (a new Python process each time, so start-up is included):
once with an empty photo cache, then again with nothing changed ("warm"). Each figure is the best of --runs runs.
The site.build_site call alone, in one process, is timed too. The first view of the index on a phone is measured
by tests/test_site_browser.py, not here.

Run from the repository root:  python scripts/bench_site.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = "\nsite:\n  base_url: https://tigawasa.github.io/sokasi/\n"


def project(folder: Path) -> Path:
    """The sample catalogue in `folder`, with a site section; its config file."""
    shutil.copytree(ROOT / "posts", folder / "posts")
    config = folder / "config.yaml"
    config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8") + SITE, encoding="utf-8")
    return config


def command(config: Path) -> float:
    """Seconds for one `sokasi-post site` in a new process."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sokasi_post", "--config", str(config), "site"], check=True,
                   capture_output=True, cwd=config.parent, env={**os.environ, "LANG": "C.UTF-8"})
    return time.perf_counter() - start


def in_process(config: Path, runs: int) -> float:
    """Seconds for the fastest of `runs` warm site.build_site calls (catalogue loaded each time), in this process."""
    from sokasi_post.catalog import load_catalog
    from sokasi_post.config import load_settings
    from sokasi_post.site import build_site

    best = float("inf")
    for _run in range(runs):
        start = time.perf_counter()
        settings = load_settings(config)
        build_site(load_catalog(settings).products, settings, config.parent / "site", first_posted={})
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cold, warm = float("inf"), float("inf")
    for _run in range(runs):
        with tempfile.TemporaryDirectory(prefix="sokasi-bench-site-") as folder:
            config = project(Path(folder))
            cold = min(cold, command(config))
            warm = min(warm, *(command(config) for _again in range(2)))
            inside = in_process(config, runs)
    print(f"sokasi-post site, first build (empty photo cache): {cold:.2f} s")
    print(f"sokasi-post site, warm (nothing changed):           {warm:.2f} s")
    print(f"site.build_site alone, warm, in one process:        {inside * 1000:.0f} ms")
    print(f"({runs} runs each, best shown; Python {sys.version.split()[0]}, {os.cpu_count()} processors)")


if __name__ == "__main__":
    main()
