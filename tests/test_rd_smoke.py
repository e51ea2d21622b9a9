"""CI smoke test of the rate-distortion benchmark (`make rd`): `scripts/rd_bench.py --smoke` trains rd_112 for a few
iterations, evaluates it and the codecs on the held-out clips, and writes the tables, rd.json and the figure.
Only structure and rate bookkeeping are checked; the smoke run's errors mean nothing."""
import json, os, re, subprocess, sys, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = ['clip_002', 'clip_003', 'clip_005']


def recipe_bits_per_second(recipe: Path, motion_file: Path) -> float:
    "The nominal rate of the model the recipe builds, by `model_rate` (not the benchmark's own bookkeeping)."
    from motion_vqvae.config import load_config
    from motion_vqvae.features import extract_features, feature_kwargs_from_config
    from motion_vqvae.io import load_motions
    from motion_vqvae.model import MotionVQVAE
    from motion_vqvae.rate import model_rate
    from motion_vqvae.trainer import resolve_body_parts
    cfg = load_config(recipe)
    m = load_motions(motion_file)[0]
    _, spec = extract_features(m, **feature_kwargs_from_config(cfg))
    return model_rate(MotionVQVAE.from_config(cfg, spec.dim, resolve_body_parts(cfg, spec)), m.fps).bits_per_second


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

    want = recipe_bits_per_second(ROOT/'configs'/'rd_112.yaml', motion_file)
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
    assert rec['train_load']['load_mean'] >= 0

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
