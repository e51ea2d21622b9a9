"""`python scripts/bench.py [--quick] [--json FILE]`: the performance benchmark (see nbs/25_bench.ipynb).

Run it through `make bench`, which also sets glibc's allocator variables before Python starts."""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from motion_vqvae.bench import bench_main

if __name__ == '__main__': sys.exit(bench_main(sys.argv[1:]))
