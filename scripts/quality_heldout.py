#!/usr/bin/env python
"""Held-out reconstruction quality of a training recipe on the G1 walk/run clips.

Trains a recipe (file or shipped name, plus `--set` overrides) on 11 of the 14 clips of
`../shared/data/g1/walkrun_g1_29dof.npy` through the `motion-vqvae` CLI, with 3 held-out clips of
different motions fixed below, then evaluates with `motion-vqvae evaluate --json` on the held-out
clips and, separately, on the training clips. Two baselines are computed on the same clips with the
same metric functions (root as in the data for both, so only the DOF differ):

* mean pose: the mean DOF of the training clips' frames, held constant;
* every 4th frame: frames 0, 4, 8, ... of the clip kept, DOF linearly interpolated between them
  (frames after the last kept one hold its value).

Metrics (as `MotionTokenizer.evaluate`): MPJPE (mm, all G1 bodies in each pose's root frame, by FK),
DOF RMSE (rad), root velocity error (m/s); overall = frame-weighted mean (RMS for DOF RMSE);
codebook perplexity and share of codes used on the training clips. The load average
(/proc/loadavg, 1 min) is sampled every 5 s while training and reported with the wall times.

Usage (from the repository root, venv active):

    python scripts/quality_heldout.py --name cpu_quick --config cpu_quick
    python scripts/quality_heldout.py --name rvq --config cpu_quick_rvq
    python scripts/quality_heldout.py --baselines-only
    python scripts/quality_heldout.py --name x --config cpu_quick --set augment_mirror=true --threads 1

Writes `<out>/quality.json` (default out: runs/quality/<name>) and prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MOTION_FILE = ROOT.parent/'shared/data/g1/walkrun_g1_29dof.npy'
# Held-out clips, chosen by root motion (mean forward / lateral speed and yaw rate over the clip):
#   clip_002: turning on the spot (|v| 0.08 m/s, yaw rate -0.42 rad/s)
#   clip_003: jogging in an arc (|v| 1.35 m/s, yaw rate -0.76 rad/s)
#   clip_005: walking straight forward (0.96 m/s, yaw rate 0.00 rad/s)
HELD_OUT = ['clip_002', 'clip_003', 'clip_005']
METRICS = ('mpjpe_mm', 'dof_rmse_rad', 'root_vel_err_mps')


def loadavg() -> float:
    return float(Path('/proc/loadavg').read_text().split()[0])


class LoadSampler:
    "Sample the 1-minute load average every `dt` s in a thread."
    def __init__(self, dt: float = 5.0):
        self.dt, self.samples, self._stop = dt, [], threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
    def _run(self):
        while not self._stop.is_set():
            self.samples.append(loadavg()); self._stop.wait(self.dt)
    def __enter__(self): self._t.start(); return self
    def __exit__(self, *a): self._stop.set(); self._t.join()
    def summary(self) -> dict:
        s = np.array(self.samples or [loadavg()])
        return dict(load_mean=round(float(s.mean()), 2), load_min=round(float(s.min()), 2), load_max=round(float(s.max()), 2))


def cli(*args, env=None) -> str:
    """Run `motion-vqvae ARGS` of this interpreter's environment (its entry point next to `sys.executable`, else
    `python -m motion_vqvae.cli`; never another environment's one on PATH); return stdout (raise with stderr)."""
    exe = Path(sys.executable).parent/'motion-vqvae'
    cmd = [str(exe), *args] if exe.is_file() else [sys.executable, '-m', 'motion_vqvae.cli', *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if r.returncode != 0: raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-4000:]}")
    return r.stdout


def aggregate(clips: list[dict]) -> dict:
    "Frame-weighted overall values, as `MotionTokenizer.evaluate` computes them (`metrics.aggregate_metrics`)."
    from motion_vqvae.metrics import aggregate_metrics
    return aggregate_metrics(clips)


def baselines(motion_file: Path, held_out: list[str]) -> dict:
    "Mean-pose and every-4th-frame baselines on the held-out and the training clips."
    from motion_vqvae.io import load_motions
    from motion_vqvae.kinematics import KinematicModel, motion_mpjpe, dof_rmse, root_velocity_error
    km = KinematicModel.g1()
    motions = [m.drop_transitions() for m in load_motions(motion_file)]
    for m in motions:                                          # writable copies (torch warns on read-only arrays)
        m.dof_pos, m.root_pos, m.root_quat_wxyz = np.array(m.dof_pos), np.array(m.root_pos), np.array(m.root_quat_wxyz)
    assert all(m.dof_pos.shape[1] == km.num_dof for m in motions)   # NPY columns are in the model's hinge order
    train = [m for m in motions if m.name not in held_out]
    mean_dof = np.concatenate([m.dof_pos for m in train]).mean(0)

    def metrics(m, dof):
        return dict(name=m.name, frames=m.n_frames,
                    mpjpe_mm=float(motion_mpjpe(km, m.root_pos, m.root_quat_wxyz, dof, m.root_pos, m.root_quat_wxyz, m.dof_pos)),
                    dof_rmse_rad=float(dof_rmse(dof, m.dof_pos)),
                    root_vel_err_mps=float(root_velocity_error(m.root_pos, m.root_pos, m.fps)))

    def every4(m):
        t = np.arange(m.n_frames); keep = t[::4]
        return np.stack([np.interp(t, keep, m.dof_pos[keep, j]) for j in range(m.dof_pos.shape[1])], 1)

    out = {}
    for name, fn in (('mean_pose', lambda m: np.broadcast_to(mean_dof, m.dof_pos.shape)), ('every_4th_frame', every4)):
        res = {}
        for split, ms in (('held_out', [m for m in motions if m.name in held_out]), ('train', train)):
            clips = [metrics(m, fn(m)) for m in ms]
            res[split] = dict(clips=clips, overall=aggregate(clips))
        out[name] = res
    return out


def train_and_evaluate(args) -> dict:
    out = Path(args.out)
    env = dict(os.environ)
    if args.threads: env['OMP_NUM_THREADS'] = str(args.threads)
    sets = [f"val_clips=[{','.join(HELD_OUT)}]", *args.set]
    rec: dict = dict(config=args.config, overrides=sets, out=str(out), threads=args.threads or 'default')
    if not (args.reuse and (out/'train_summary.json').exists()):
        cmd = ['train', '--config', args.config, '--motion_file', str(args.motion_file), '--out', str(out), '--overwrite', '--json']
        for s in sets: cmd += ['--set', s]
        rec['train_command'] = 'motion-vqvae ' + ' '.join(cmd)
        print(rec['train_command'], flush=True)
        t0 = time.perf_counter()
        with LoadSampler() as ls:
            summary = json.loads(cli(*cmd, env=env))
        rec['train_total_wall_s'] = round(time.perf_counter() - t0, 1)
        rec['train_load'] = ls.summary()
    else:
        summary = json.loads((out/'train_summary.json').read_text())['metrics']
    rec['train_step_wall_s'] = summary.get('wall_time_s')
    rec['train_metrics'] = {k: v for k, v in summary.items() if k.startswith(('train/', 'val/')) or k == 'iteration'}
    for split, clips in (('held_out', HELD_OUT), ('train', None)):
        names = clips or [c for c in json.loads((out/'train_summary.json').read_text())['train_clips'] if c not in HELD_OUT and '~' not in c]   # augmented copies (~mirror, ~x0.8) are not clips of the file
        ev = json.loads(cli('evaluate', '--checkpoint', str(out), '--motion_file', str(args.motion_file), '--clips', *names, '--json', env=env))
        rec[split] = ev
    rec['evaluate_command'] = (f"motion-vqvae evaluate --checkpoint {out} --motion_file {args.motion_file} "
                               f"--clips {' '.join(HELD_OUT)} --json")
    return rec


def table(models: dict, base: dict) -> str:
    "Markdown: one row per (model, split, clip)."
    rows = ['| model | split | clip | frames | MPJPE mm | DOF RMSE rad | root vel err m/s | perplexity | codes used |',
            '|---|---|---|---:|---:|---:|---:|---:|---:|']
    fmt = lambda r, k, f: format(r[k], f) if k in r else '-'
    def add(name, split, res):
        for r in res['clips'] + [dict(res['overall'], name='**overall**')]:
            rows.append(f"| {name} | {split} | {r['name']} | {r['frames']} | {fmt(r, 'mpjpe_mm', '.1f')} | "
                        f"{fmt(r, 'dof_rmse_rad', '.4f')} | {fmt(r, 'root_vel_err_mps', '.3f')} | "
                        f"{fmt(r, 'perplexity', '.1f')} | {fmt(r, 'code_usage', '.1%')} |")
    for name, rec in models.items():
        add(name, 'held-out', rec['held_out']); add(name, 'train', rec['train'])
    for name, res in base.items():
        add(name, 'held-out', res['held_out']); add(name, 'train', res['train'])
    lines = ['\n'.join(rows), '']
    for name, rec in models.items():
        ld = rec.get('train_load', {})
        lines.append(f"- {name}: training wall time {rec.get('train_total_wall_s', '-')} s total "
                     f"({rec.get('train_step_wall_s')} s in optimisation steps), load average during training "
                     f"mean {ld.get('load_mean', '-')} (min {ld.get('load_min', '-')}, max {ld.get('load_max', '-')}), "
                     f"threads {rec.get('threads')}; overrides {rec.get('overrides')}")
    return '\n'.join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default='cpu_quick', help='recipe name or YAML file')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='config override; repeatable')
    p.add_argument('--name', default=None, help='label of the run (default: the config name)')
    p.add_argument('--out', default=None, help='run directory (default runs/quality/<name>)')
    p.add_argument('--motion_file', default=str(MOTION_FILE))
    p.add_argument('--threads', type=int, default=0, help='OMP_NUM_THREADS for training/evaluation (0 = torch default)')
    p.add_argument('--reuse', action='store_true', help='evaluate an existing run in --out instead of training')
    p.add_argument('--baselines-only', action='store_true')
    p.add_argument('--json', default=None, help='JSON output file (default <out>/quality.json)')
    p.add_argument('--combine', nargs='+', default=None, metavar='QUALITY_JSON',
                   help='only print one table of the models (and baselines) in these quality.json files')
    args = p.parse_args(argv)
    if args.combine:
        recs = [json.loads(Path(f).read_text()) for f in args.combine]
        print(table({k: v for r in recs for k, v in r['models'].items()}, recs[0]['baselines']))
        return 0
    args.motion_file = Path(args.motion_file).resolve()
    base = baselines(args.motion_file, HELD_OUT)
    models = {}
    if not args.baselines_only:
        args.name = args.name or Path(args.config).stem
        args.out = args.out or str(ROOT/'runs/quality'/args.name)
        models[args.name] = train_and_evaluate(args)
    js = Path(args.json) if args.json else (Path(args.out)/'quality.json' if not args.baselines_only else ROOT/'runs/quality/baselines.json')
    js.parent.mkdir(parents=True, exist_ok=True)
    js.write_text(json.dumps(dict(held_out=HELD_OUT, motion_file=str(args.motion_file), models=models, baselines=base), indent=1))
    print(table(models, base))
    print(f"\nwrote {js}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
