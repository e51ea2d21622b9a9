#!/usr/bin/env python
"""Train a motion tokenizer: a thin wrapper over `motion-vqvae train` (README's first command, `make demo`).

    python scripts/train_vqvae.py                                   # the demo: embedded G1 sample, cpu_quick, runs/demo
    python scripts/train_vqvae.py --motion_file FILE [--config FILE] [--out DIR] [--set key=value ...]

Defaults when not given: `--config cpu_quick` (another name for the rate-distortion recipe rd_112: 112.5 bits/s at
50 fps, 9.4 tokens/s; it trains in under 10 minutes on 2 CPU cores)
and `--out runs/demo`. The embedded sample is used when no `--motion_file` is given. Other options are
those of `motion-vqvae train` (`--help` lists them).

An existing run directory is never destroyed: when `--out` was not given and runs/demo already holds a run,
the new run goes to a fresh directory runs/demo-YYYYmmdd-HHMMSS. When `--out DIR` is given explicitly, an
existing run there needs `--resume` or `--overwrite`, as with `motion-vqvae train`.
"""
import sys, time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
try:
    import motion_vqvae  # noqa: F401  (installed, or on the path)
except ImportError:       # a plain checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from motion_vqvae.cli import main

DEMO_OUT = Path('runs/demo')


def _has(argv: list[str], *names: str) -> bool:
    return any(a == n or a.startswith(n + '=') for a in argv for n in names)


def build_argv(argv: list[str]) -> list[str]:
    "The `motion-vqvae train` arguments for this script's arguments."
    if any(a in ('-h', '--help') for a in argv): return ['train', '--help']
    out = ['train']
    if not _has(argv, '--config'): out += ['--config', 'cpu_quick']
    if not _has(argv, '--out'):
        d = DEMO_OUT
        if d.exists() and any(d.iterdir()):
            d = DEMO_OUT.with_name(f"{DEMO_OUT.name}-{datetime.now():%Y%m%d-%H%M%S}")
            print(f"{DEMO_OUT} already holds a run; keeping it and training into {d}", flush=True)
        out += ['--out', str(d)]
    return out + list(argv)


if __name__ == '__main__':
    t0 = time.perf_counter()
    argv = build_argv(sys.argv[1:])
    rc = main(argv)
    if rc == 0 and '--help' not in argv: print(f"done in {time.perf_counter() - t0:.1f} s (wall, including data loading)")
    sys.exit(rc)
