#!/usr/bin/env python
"""Human-motion benchmark (issue 13, `make human`): the `human_quick` recipe on real BVH captures, and the G1 recipes,
against the no-learning codecs at the same rate, with the skeleton metrics.

Data sets (`--datasets`, default all that are available):

* `cmu_01_01`: `../shared/data/bvh/01_01.bvh` (CMU subject 1 trial 1, 120 fps, 31 joints, 23 s);
* `lafan_test`: `testBvhFiles/test.bvh` of the bvhtools 1.6.0 sdist (LAFAN1 skeleton, 22 joints, 30 fps, 4 min),
  fetched at run time with `pip download --no-deps --no-binary :all: bvhtools==1.6.0` into `OUT/downloads`
  (never committed: its licence is unclear);
* `smpl_cmu`: the whole of `01_01.bvh` retargeted onto the 24-joint SMPL tree at 30 fps
  (`retarget.bvh_to_smpl_clip`; SMPL's own offsets are shipped by no package we can use, so the rest offsets are
  the CMU skeleton's), written as an SMPL-style PKL `OUT/downloads/smpl_cmu_01_01.pkl` with its offsets. The same
  motion as `cmu_01_01` on another skeleton: it shows the SMPL path works, not a second data set.

For each: train `human_quick` through `motion-vqvae train --config human_quick --motion_file F --out OUT/NAME`
(or `--reuse` a finished run), which holds out the last 20 % of each clip by time; evaluate that held-out span
with `motion-vqvae evaluate --checkpoint OUT/NAME --motion_file F --split val --json --baseline codec` (the
subsample-and-round codec at the tokenizer's nominal rate, on the same frames) and the block-DCT codec at the same
rate, in this process, on the same clips. The G1 rows evaluate finished G1 runs (`--g1-runs DIR ...`, e.g. the
rd_* runs of `make rd`) on the held-out G1 clips of `quality_heldout.py` the same way.

Metrics (all `metrics.clip_metrics`, metres-based whatever the file's unit): MPJPE (mm, joints in the root frame),
PA-MPJPE (mm, after a similarity Procrustes fit per frame), acceleration error (mm/frame^2 at the clip's fps), foot
skating ratio of the reconstruction (and of the ground truth), with the rate (tokens/s, bits/s) of every row.

Usage (from the repository root):

    python scripts/human_bench.py                                  # trains human_quick on each data set
    python scripts/human_bench.py --reuse --g1-runs runs/rd/rd_112   # evaluate finished runs only
    python scripts/human_bench.py --datasets cmu_01_01 --set total_iter=200
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_heldout import HELD_OUT, MOTION_FILE, ROOT, LoadSampler, cli  # noqa: E402
from rd_bench import machine  # noqa: E402

BVHTOOLS = 'bvhtools==1.6.0'
LAFAN_MEMBER = 'testBvhFiles/test.bvh'
METRICS = ('mpjpe_mm', 'pa_mpjpe_mm', 'accel_error_mm', 'foot_skate_ratio')


def fetch_lafan(out: Path) -> Path:
    "The bvhtools 1.6.0 sdist's test.bvh in `out/downloads/`, downloaded from PyPI (source only) when missing."
    dest = out/'downloads'/'lafan_test.bvh'
    if dest.is_file(): return dest
    dl = out/'downloads'
    dl.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--no-binary', ':all:', BVHTOOLS, '-d', str(dl)]
    print(f"fetching {BVHTOOLS}: {shlex.join(cmd)}", flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    sdists = sorted(dl.glob('bvhtools-1.6.0.tar.gz'))
    if r.returncode != 0 or not sdists:
        raise SystemExit(f"could not download {BVHTOOLS} ({r.returncode}): {r.stderr[-2000:]}")
    with tarfile.open(sdists[0]) as tf:
        member = next((m for m in tf.getmembers() if m.name.endswith('/' + LAFAN_MEMBER)), None)
        if member is None: raise SystemExit(f"{sdists[0]}: no {LAFAN_MEMBER} inside")
        dest.write_bytes(tf.extractfile(member).read())
    return dest


def make_smpl(out: Path) -> Path:
    "`01_01.bvh` retargeted onto the SMPL tree (all of it, 30 fps), as an SMPL-style PKL with its rest offsets."
    from motion_vqvae.io import read_bvh, write_pkl
    from motion_vqvae.retarget import bvh_to_smpl_clip
    dest = out/'downloads'/'smpl_cmu_01_01.pkl'
    if dest.is_file(): return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = ROOT.parent/'shared/data/bvh/01_01.bvh'
    m = read_bvh(src)[0]
    write_pkl([bvh_to_smpl_clip(src, 0.0, (m.n_frames - 1) / m.fps, 30.0)], dest, style='smpl')
    return dest


def datasets(out: Path, names: list[str] | None) -> dict[str, Path]:
    "Name -> motion file of each data set asked for (default: every one available)."
    known = {'cmu_01_01': lambda: ROOT.parent/'shared/data/bvh/01_01.bvh', 'lafan_test': lambda: fetch_lafan(out),
             'smpl_cmu': lambda: make_smpl(out)}
    bad = [n for n in names or [] if n not in known]
    if bad: raise SystemExit(f"--datasets: unknown {bad}; known: {', '.join(known)}")
    res = {n: known[n]() for n in (names or known)}
    missing = {n: str(p) for n, p in res.items() if not p.is_file()}
    if missing and names: raise SystemExit(f"data set files missing: {missing}")
    for n in missing: print(f"[{n}] skipped: {missing[n]} is missing", flush=True)
    return {n: p for n, p in res.items() if n not in missing}


def train(name: str, motion_file: Path, run: Path, sets: list[str], env: dict) -> dict:
    "Train `human_quick` on `motion_file` into `run`; the record of what ran and how long it took."
    cmd = ['train', '--config', 'human_quick', '--motion_file', str(motion_file), '--out', str(run), '--overwrite',
           '--json']
    for s in sets: cmd += ['--set', s]
    rec = dict(train_command='motion-vqvae ' + shlex.join(cmd))
    print(f"[{name}] training: {rec['train_command']}", flush=True)
    t0 = time.perf_counter()
    with LoadSampler() as ls: summary = json.loads(cli(*cmd, env=env))
    rec.update(train_total_wall_s=round(time.perf_counter() - t0, 1), train_step_wall_s=summary.get('wall_time_s'),
               train_load=ls.summary())
    return rec


def evaluate(name: str, run: Path, motion_file: Path, env: dict, select: list[str]) -> dict:
    "Tokenizer and subsample codec (CLI), DCT codec (here, same clips), at the tokenizer's nominal rate."
    from motion_vqvae.codec import evaluate_codec
    from motion_vqvae.tokenizer import MotionTokenizer
    cmd = ['evaluate', '--checkpoint', str(run), '--motion_file', str(motion_file), *select, '--json',
           '--baseline', 'codec']
    print(f"[{name}] evaluating: motion-vqvae {shlex.join(cmd)}", flush=True)
    ev = json.loads(cli(*cmd, env=env))
    tok = MotionTokenizer.load(run)
    motions = (tok.read_clips(motion_file, split='val') if select[0] == '--split'
               else tok.read_clips(motion_file, select[1:], drop_transitions=True))
    got, want = [(c['name'], c['frames']) for c in ev['clips']], [(m.name, m.n_frames) for m in motions]
    if got != want: raise RuntimeError(f"[{name}] the CLI evaluated {got}, this process has {want}")
    km, order = tok.kinematics
    rate = ev['overall']['bits_per_second']
    try: dct = evaluate_codec(motions, rate, 'dct', km=km, order=order)
    except ValueError as e: dct = dict(error=str(e), overall={})
    return dict(evaluate_command='motion-vqvae ' + shlex.join(cmd), evaluation=ev, dct=dct)


def row(name: str, rec: dict) -> dict:
    "One table row: rate, the tokenizer's metrics and each codec's, held-out frames."
    ev = rec['evaluation']
    o, sub, dct = ev['overall'], ev['baseline']['overall'], rec['dct']['overall']
    r = dict(data=name, recipe=rec['recipe'], frames=sum(c['frames'] for c in ev['clips']),
             tokens_per_second=o['tokens_per_second'], bits_per_second=o['bits_per_second'],
             foot_skate_ratio_gt=o.get('foot_skate_ratio_gt'))
    for k in METRICS:
        r[k] = o.get(k)
        r[f'subsample_{k}'], r[f'dct_{k}'] = sub.get(k), dct.get(k)
    return r


def _f(v, fmt='.1f') -> str: return '-' if v is None else format(v, fmt)


def table(rows: list[dict]) -> str:
    "Markdown: per data set, tokenizer / subsample codec / DCT codec for each metric."
    head = ('| data | recipe | held-out frames | tokens/s | bits/s | MPJPE mm | PA-MPJPE mm | accel err mm | '
            'foot skate (GT) |\n|---|---|---:|---:|---:|---|---|---|---|')
    lines = [head]
    for r in rows:
        trip = lambda k, fmt: ' / '.join(_f(r[p + k], fmt) for p in ('', 'subsample_', 'dct_'))
        lines.append(f"| {r['data']} | {r['recipe']} | {r['frames']} | {r['tokens_per_second']:.2f} | "
                     f"{r['bits_per_second']:.1f} | {trip('mpjpe_mm', '.1f')} | {trip('pa_mpjpe_mm', '.1f')} | "
                     f"{trip('accel_error_mm', '.2f')} | {trip('foot_skate_ratio', '.3f')} "
                     f"({_f(r['foot_skate_ratio_gt'], '.3f')}) |")
    return '\n'.join(lines) + '\n\nEach cell: tokenizer / subsample-and-round codec / block-DCT codec, at the ' \
                              'tokenizer\'s nominal bits/s, on the same held-out frames.'


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--out', default=str(ROOT/'runs/human'), help='runs and results (default runs/human)')
    p.add_argument('--datasets', nargs='+', default=None, help='cmu_01_01, lafan_test, smpl_cmu (default: all)')
    p.add_argument('--g1-runs', nargs='*', default=[], metavar='RUN', help='finished G1 runs to evaluate too')
    p.add_argument('--reuse', action='store_true', help='evaluate finished runs in OUT instead of training')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='human_quick override')
    p.add_argument('--threads', type=int, default=0, help='OMP_NUM_THREADS for training/evaluation (0 = default)')
    args = p.parse_args(argv)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if args.threads: env['OMP_NUM_THREADS'] = str(args.threads)
    res = dict(machine=machine(), runs={})
    for name, f in datasets(out, args.datasets).items():
        run = out/name
        rec = dict(recipe='human_quick', motion_file=str(f), run_dir=str(run))
        if not (args.reuse and (run/'train_summary.json').is_file()): rec.update(train(name, f, run, args.set, env))
        rec.update(evaluate(name, run, f, env, ['--split', 'val']))
        res['runs'][name] = rec
    for g in args.g1_runs:
        run = Path(g)
        rec = dict(recipe=run.name, motion_file=str(MOTION_FILE), run_dir=str(run))
        rec.update(evaluate(f'g1 {run.name}', run, MOTION_FILE, env, ['--clips', *HELD_OUT]))
        res['runs'][f'g1 {run.name}'] = rec
    rows = [row(n.split(' ')[0] if n.startswith('g1 ') else n, r) for n, r in res['runs'].items()]
    res['table'] = rows
    (out/'human.json').write_text(json.dumps(res, indent=1, default=str))
    print(table(rows))
    print(f"\nwrote {out/'human.json'}")
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
