"""CI smoke test of the rate-distortion benchmark (`make rd`): `scripts/rd_bench.py --smoke` trains rd_112 for a few
iterations, evaluates it and the codecs on the held-out clips, and writes the tables, rd.json and the figure.
Only structure and rate bookkeeping are checked; the smoke run's errors mean nothing."""
import json, os, re, subprocess, sys, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'scripts'))
from quality_heldout import HELD_OUT  # noqa: E402  (the held-out clips the benchmark must use)


def hand_count_bits_per_second(recipe: Path, fps: float) -> float:
    "rd_112 by hand from its YAML: fps / stride**down_t steps/s x part_tokens tokens x log2(prod(fsq_levels)) bits."
    import math, yaml
    c = yaml.safe_load(recipe.read_text())['agent']['config']
    assert c['body_parts'] == 'none' and c['quantizer'] == 'fsq', c      # one stream per token, the whole body
    return fps / 2 ** c['down_t'] * c['part_tokens'] * math.log2(math.prod(c['fsq_levels']))


def test_rd_bench_smoke(tmp_path):
    from motion_vqvae.io import sample_motion_path
    motion_file = sample_motion_path()            # the same 14 G1 clips as ../shared/data/g1/walkrun_g1_29dof.npy
    out = tmp_path/'rd'
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='agg')
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT/'scripts'/'rd_bench.py'), '--smoke', '--out', str(out),
                        '--motion_file', str(motion_file)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]

    want = hand_count_bits_per_second(ROOT/'configs'/'rd_112.yaml', 50.0)
    assert want == 112.5
    # the recipe table: one rd_112 row whose nominal bits/s is the recipe's
    rows = [l for l in r.stdout.splitlines() if l.startswith('| rd_112 |')]
    assert len(rows) == 1, r.stdout
    cells = [c.strip() for c in rows[0].strip('|').split('|')]
    assert len(cells) == 12, cells
    assert float(cells[2]) == want, (cells, want)
    assert re.fullmatch(r'yes|no: .+', cells[10]), cells
    assert '| target bits/s | subsample bits/s |' in r.stdout

    js = json.loads((out/'rd.json').read_text())
    assert js['smoke'] is True and js['held_out'] == HELD_OUT and list(js['recipes']) == ['rd_112']
    rec = js['recipes']['rd_112']
    assert rec['trained'] and rec['train_total_wall_s'] > 0 and rec['train_command'].startswith('motion-vqvae train')
    assert '--baseline codec' in rec['evaluate_command']
    s = rec['summary']
    assert s['bits_per_second'] == want == rec['recipe_rate']['bits_per_second']
    assert s['best_codec'] in ('subsample', 'dct')
    assert np.isclose(s['ratio'], s['mpjpe_mm'] / min(s['subsample_mpjpe_mm'], s['dct_mpjpe_mm']))
    assert s['target_met'] == (s['ratio'] <= 0.5 and s['mpjpe_mm'] <= 15.0)
    # every codec point, at the recipe's rate and on the curve, spends at most its target
    base, dct = rec['held_out']['baseline']['overall'], rec['dct']['overall']
    for o in (base, dct):
        assert o['target_bits_per_second'] == want and 0 < o['bits_per_second'] <= want, o
    assert (base['codec'], dct['codec']) == ('subsample', 'dct')
    curve = js['codec_curve']
    assert len(curve['rates']) == 3
    for codec in ('subsample', 'dct'):
        assert len(curve[codec]) == 3
        for rate, p in zip(curve['rates'], curve[codec]):
            o = p['overall']
            assert o['codec'] == codec and o['target_bits_per_second'] == rate and 0 < o['bits_per_second'] <= rate, o
            assert np.isfinite(o['mpjpe_mm']) and o['mpjpe_mm'] > 0
    m = js['machine']
    assert m['nproc'] >= 1 and m['cpu_model'] and m['torch'] and js['created'] and js['command']
    ld = rec['train_load']
    assert ld['load_min'] <= ld['load_mean'] <= ld['load_max'], ld

    # the figure: a real PNG with pixels
    png = out/'rate_distortion.png'
    assert str(png) in js['figures'] and png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    from PIL import Image
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        a = np.asarray(im.convert('L'))
    assert a.shape[0] > 200 and a.shape[1] > 300 and a.std() > 5, a.shape
    print(f'rd_bench --smoke: {wall:.1f} s')
