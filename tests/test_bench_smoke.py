"""CI smoke test of the benchmark: the quick run writes every JSON key with finite, positive values.
No timing assertions (CI machines are shared)."""
import json, math, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def test_quick_bench_json(tmp_path):
    out = tmp_path/'bench.json'
    r = subprocess.run([sys.executable, str(ROOT/'scripts'/'bench.py'), '--quick', '--rounds', '1', '--json', str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    j = json.loads(out.read_text())
    from motion_vqvae.bench import BENCH_KEYS
    for k in BENCH_KEYS:
        assert k in j and math.isfinite(j[k]) and j[k] > 0, (k, j.get(k))
    assert abs(j['train_speedup_vs_eager_fp32'] - j['reference_train_step_s'] / j['train_step_s']) < 1e-9
    assert j['load_frames'] == 180_000
    assert 'train step' in r.stdout
