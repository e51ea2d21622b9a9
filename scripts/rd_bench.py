#!/usr/bin/env python
"""Rate-distortion benchmark: the rd_* recipes against no-learning codecs on held-out G1 motion (`make rd`).

For each recipe (default rd_112 rd_225 rd_450 rd_900; the number is the nominal bits/s at 50 fps):

1. train it through `motion-vqvae train --config R --motion_file G1 --out OUT/R --overwrite --json
   --set val_clips=[...]` on the 11 training clips of `../shared/data/g1/walkrun_g1_29dof.npy` (the 3 held-out
   clips are `quality_heldout.HELD_OUT`), timing the wall time and sampling the load average; or, with `--reuse`,
   take the finished run in RUNS/R (default RUNS = OUT) as it is, after checking that it held out the same clips;
2. evaluate it on the held-out clips with `motion-vqvae evaluate --checkpoint OUT/R --motion_file G1 --clips ...
   --json --baseline codec` (the subsample-and-round codec at the tokenizer's nominal rate) and the block-DCT codec
   at the same rate (`motion_vqvae.codec.evaluate_codec`, in this process, on the same clips);
3. check that the run's nominal rate is the recipe's (`motion_vqvae.rate.model_rate` of the model the recipe
   builds), so a row is never labelled with a rate it does not have.

Then the codec curve: both codecs on the held-out clips at a log grid of rates (`CODEC_RATES`). It prints two
markdown tables (recipes; codec curve), writes `OUT/rd.json` (results, commands, machine, load, torch version,
date) and the figure `OUT/rate_distortion.png` (x: bits/s, log; y: held-out MPJPE mm, log; codec curves, recipes
as labelled points, half the best codec's MPJPE dashed: the target), and copies the figure to `--figure PATH`.

Target (issue 11): a recipe's held-out MPJPE at most half the best codec's at its rate, and rd_112 at most 15 mm.

Usage (from the repository root):

    python scripts/rd_bench.py --figure nbs/images/rate_distortion.png     # `make rd`: trains all four recipes
    python scripts/rd_bench.py --jobs 2                                   # two trainings side by side, 1 thread each
    python scripts/rd_bench.py --reuse --runs runs/rd                     # evaluate finished runs, train nothing
    python scripts/rd_bench.py --recipes rd_112 rd_225 --set total_iter=3000
    python scripts/rd_bench.py --smoke                                    # CI check: rd_112, 20 iterations, temp dir

`--smoke` trains rd_112 for 20 iterations (plus `SMOKE_SETS`), evaluates 3 codec rates and writes everything into
a temporary directory (or `--out`); its numbers mean nothing, only the structure is checked (tests/test_rd_smoke.py).
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_heldout import HELD_OUT, MOTION_FILE, ROOT, LoadSampler, cli  # noqa: E402

RECIPES = ['rd_112', 'rd_225', 'rd_450', 'rd_900']
CODEC_RATES = [56, 80, 113, 160, 225, 320, 450, 640, 900, 1300, 1800, 2700]
CODECS = ('subsample', 'dct')
SMOKE_RECIPES = ['rd_112']
SMOKE_SETS = ['total_iter=20', 'eval_every=0', 'window_size=64', 'warm_up_iter=5', 'log_every=10']
SMOKE_RATES = [80, 450, 1800]
TARGET_RATIO = 0.5                      # recipe MPJPE / best codec MPJPE at the recipe's rate
TARGET_MM = {'rd_112': 15.0}            # held-out MPJPE ceiling of a recipe, where the issue sets one


# ------------------------------------------------------------------------------------------------ inputs
def recipe_path(recipe: str) -> Path:
    "configs/<recipe>.yaml for a name, else the YAML file given."
    p = Path(recipe)
    for cand in (p, ROOT/p, ROOT/'configs'/f'{recipe}.yaml'):
        if cand.suffix in ('.yaml', '.yml') and cand.is_file(): return cand.resolve()
    raise SystemExit(f"recipe {recipe!r}: no file {recipe} and no configs/{recipe}.yaml "
                     f"(recipes there: {', '.join(sorted(q.stem for q in (ROOT/'configs').glob('*.yaml')))})")


def held_out_motions(motion_file: Path):
    "The held-out clips as `motion-vqvae evaluate` reads them for a codec (transition frames dropped)."
    from motion_vqvae.io import load_motions
    from motion_vqvae.tokenizer import select_clips
    return select_clips(load_motions(motion_file), HELD_OUT, True, motion_file)


def recipe_rate(config: Path, overrides: list[str], motion):
    "The nominal `TokenRate` of the model that `config` plus `overrides` builds for the clip `motion`."
    from motion_vqvae.config import load_config
    from motion_vqvae.features import extract_features, feature_kwargs_from_config
    from motion_vqvae.model import MotionVQVAE, resolve_body_parts
    from motion_vqvae.rate import model_rate
    cfg = load_config(config, overrides)
    _, spec = extract_features(motion, **feature_kwargs_from_config(cfg))
    return model_rate(MotionVQVAE.from_config(cfg, spec.dim, resolve_body_parts(cfg, spec)), motion.fps)


def machine() -> dict:
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                if l.startswith('model name')), platform.processor() or 'unknown')
    try: commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError: commit = ''
    dirty = bool(subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()) if commit else None
    return dict(nproc=os.cpu_count(), cpus_usable=len(os.sched_getaffinity(0)), cpu_model=cpu,
                platform=platform.platform(), python=platform.python_version(), torch=version('torch'),
                motion_vqvae=version('motion_vqvae'), git_commit=commit or None, git_dirty=dirty)


# ---------------------------------------------------------------------------------------- train / reuse
def train(name: str, config: Path, out: Path, sets: list[str], motion_file: Path, env: dict) -> dict:
    "Train one recipe through the CLI; the record of what ran and how long it took."
    cmd = ['train', '--config', str(config), '--motion_file', str(motion_file), '--out', str(out), '--overwrite',
           '--json']
    for s in sets: cmd += ['--set', s]
    rec = dict(trained=True, train_command='motion-vqvae ' + shlex.join(cmd))
    print(f"[{name}] training: {rec['train_command']}", flush=True)
    t0 = time.perf_counter()
    with LoadSampler() as ls:
        summary = json.loads(cli(*cmd, env=env))
    rec['train_total_wall_s'] = round(time.perf_counter() - t0, 1)
    rec['train_step_wall_s'] = summary.get('wall_time_s')
    rec['train_load'] = ls.summary()
    rec['iterations'] = summary.get('iteration')
    print(f"[{name}] trained in {rec['train_total_wall_s']} s (load average {rec['train_load']['load_mean']})",
          flush=True)
    return rec


def reused(name: str, config: Path, run: Path, sets: list[str]) -> dict:
    "The record of a finished run in `run`, after checking it is one and that it held out `HELD_OUT`."
    from motion_vqvae.config import AgentConfig, load_config
    from motion_vqvae.rundir import TRAIN_SUMMARY
    f = run/TRAIN_SUMMARY
    if not f.is_file():
        raise SystemExit(f"--reuse {name}: {f} is missing, so {run} is not a finished run; train it (drop --reuse) "
                         f"or point --runs at the directory holding {name}/")
    s = json.loads(f.read_text())
    if sorted(s.get('val_clips') or []) != sorted(HELD_OUT):
        raise SystemExit(f"--reuse {name}: {f}: val_clips is {s.get('val_clips')}, expected {HELD_OUT} (the held-out "
                         f"clips); train with --set val_clips=[{','.join(HELD_OUT)}]")
    ran = AgentConfig.from_yaml(run/'config.yaml')
    if s.get('iterations') != ran.total_iter:
        raise SystemExit(f"--reuse {name}: {f}: iterations is {s.get('iterations')}, expected total_iter = "
                         f"{ran.total_iter} of {run/'config.yaml'} (an unfinished run?)")
    want = load_config(config, sets).to_dict()
    skip = {'out_dir', 'motion_file', 'resume', 'device'}
    diff = {k: dict(run=v, recipe=want.get(k)) for k, v in ran.to_dict().items() if k not in skip and want.get(k) != v}
    if diff: print(f"[{name}] note: {run} was trained with settings other than {config.name} + --set: {diff}",
                   flush=True)
    return dict(trained=False, run_dir=str(run), train_step_wall_s=s.get('wall_time_s'), train_total_wall_s=None,
                train_load=None, iterations=s.get('iterations'), config_differs_from_recipe=diff or None)


# --------------------------------------------------------------------------------------------- evaluate
def codec_point(motions, rate: float, codec: str, km, order) -> dict:
    "`evaluate_codec` at `rate`, per-clip results kept; {'error': ...} where the codec cannot go that low."
    from motion_vqvae.codec import evaluate_codec
    try: return evaluate_codec(motions, rate, codec, km=km, order=order)
    except ValueError as e: return dict(error=str(e), overall=dict(target_bits_per_second=float(rate)))


def evaluate(name: str, run: Path, motion_file: Path, env: dict, motions, km, order) -> dict:
    "Held-out evaluation of a run with the subsample codec (CLI) and the DCT codec (here) at its nominal rate."
    cmd = ['evaluate', '--checkpoint', str(run), '--motion_file', str(motion_file), '--clips', *HELD_OUT,
           '--json', '--baseline', 'codec']
    print(f"[{name}] evaluating: motion-vqvae {shlex.join(cmd)}", flush=True)
    ev = json.loads(cli(*cmd, env=env))
    rate = ev['overall']['bits_per_second']
    dct = codec_point(motions, rate, 'dct', km, order)
    # the DCT codec here must see the clips the CLI evaluated: same names and frame counts
    cli_clips, here = [(c['name'], c['frames']) for c in ev['clips']], [(m.name, m.n_frames) for m in motions]
    if cli_clips != here:
        raise RuntimeError(f"[{name}] `motion-vqvae evaluate` evaluated {cli_clips}, but held_out_motions() gives "
                           f"{here}: the two codecs would not be compared on the same clips")
    return dict(evaluate_command='motion-vqvae ' + shlex.join(cmd), held_out=ev, dct=dct,
                dct_command=f"motion_vqvae.codec.evaluate_codec(held-out clips, {rate:g}, 'dct', km=G1)")


def summarise(name: str, rec: dict) -> dict:
    "Rate, metrics, codec comparison and target of one recipe (added to `rec`)."
    o, sub, dct = rec['held_out']['overall'], rec['held_out']['baseline']['overall'], rec['dct']['overall']
    codec_mm = {c: r.get('mpjpe_mm') for c, r in (('subsample', sub), ('dct', dct)) if r.get('mpjpe_mm') is not None}
    best = min(codec_mm, key=codec_mm.get)
    ratio = o['mpjpe_mm'] / codec_mm[best]
    why = []
    if not ratio <= TARGET_RATIO: why.append(f"ratio {ratio:.2f} > {TARGET_RATIO:g}")
    if name in TARGET_MM and not o['mpjpe_mm'] <= TARGET_MM[name]:
        why.append(f"MPJPE {o['mpjpe_mm']:.1f} > {TARGET_MM[name]:g} mm")
    return dict(tokens_per_second=o['tokens_per_second'], bits_per_second=o['bits_per_second'],
                entropy_bits_per_second=o['entropy_bits_per_second'], mpjpe_mm=o['mpjpe_mm'],
                dof_rmse_rad=o['dof_rmse_rad'], root_vel_err_mps=o['root_vel_err_mps'],
                subsample_mpjpe_mm=codec_mm.get('subsample'), dct_mpjpe_mm=codec_mm.get('dct'),
                best_codec=best, ratio=ratio, target_met=not why, target_missed_by=why,
                target=dict(ratio_max=TARGET_RATIO, mpjpe_mm_max=TARGET_MM.get(name)))


# ------------------------------------------------------------------------------------------------ report
def _f(v, fmt: str) -> str: return '-' if v is None else format(v, fmt)


def recipe_table(recipes: dict) -> str:
    rows = ['| recipe | tokens/s | bits/s (nominal) | entropy bits/s | held-out MPJPE mm | DOF RMSE rad | '
            'root vel err m/s | subsample codec MPJPE mm | DCT codec MPJPE mm | ratio (recipe / best codec) | '
            'target met | training time s |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|']
    for name, r in recipes.items():
        s = r['summary']
        met = 'yes' if s['target_met'] else 'no: ' + ', '.join(s['target_missed_by'])
        t = (_f(r['train_total_wall_s'], '.0f') if r['trained']
             else _f(r['train_step_wall_s'], '.0f') + ' (reused run: optimisation steps)')
        rows.append(f"| {name} | {s['tokens_per_second']:g} | {s['bits_per_second']:g} | "
                    f"{s['entropy_bits_per_second']:.1f} | {s['mpjpe_mm']:.1f} | {s['dof_rmse_rad']:.4f} | "
                    f"{s['root_vel_err_mps']:.3f} | {_f(s['subsample_mpjpe_mm'], '.1f')} | "
                    f"{_f(s['dct_mpjpe_mm'], '.1f')} | "
                    f"{s['ratio']:.2f} | {met} | {t} |")
    return '\n'.join(rows)


def curve_table(curve: dict) -> str:
    rows = ['| target bits/s | subsample bits/s | subsample MPJPE mm | subsample k, b | DCT bits/s | DCT MPJPE mm | '
            'DCT N, K, b | half the best codec, mm |',
            '|---:|---:|---:|---|---:|---:|---|---:|']
    for i, rate in enumerate(curve['rates']):
        s, d = curve['subsample'][i]['overall'], curve['dct'][i]['overall']
        best = min([x['mpjpe_mm'] for x in (s, d) if 'mpjpe_mm' in x], default=None)
        rows.append(f"| {rate:g} | {_f(s.get('bits_per_second'), '.1f')} | {_f(s.get('mpjpe_mm'), '.1f')} | "
                    + (f"{s['frames_per_sample']}, {s['bits_per_value']}" if 'mpjpe_mm' in s else 'unreachable')
                    + f" | {_f(d.get('bits_per_second'), '.1f')} | {_f(d.get('mpjpe_mm'), '.1f')} | "
                    + (f"{d['block_frames']}, {d['coefficients_per_block']}, {d['bits_per_value']}" if 'mpjpe_mm' in d
                       else 'unreachable')
                    + f" | {_f(None if best is None else best / 2, '.1f')} |")
    return '\n'.join(rows)


def plot(res: dict, path: Path) -> Path:
    "x: bits/s (log), y: held-out MPJPE mm (log); codec curves, half the best codec (target), recipes as points."
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter
    curve = res['codec_curve']
    fig, ax = plt.subplots(figsize=(8, 5.2), dpi=120)
    half = []
    for codec, style, label in (('subsample', dict(color='tab:blue', marker='o'), 'subsample and round (codec)'),
                                ('dct', dict(color='tab:green', marker='s'), 'block DCT (codec)')):
        pts = [p['overall'] for p in curve[codec] if 'mpjpe_mm' in p['overall']]
        ax.plot([p['bits_per_second'] for p in pts], [p['mpjpe_mm'] for p in pts], ms=4, lw=1.5, label=label, **style)
    for i, rate in enumerate(curve['rates']):
        v = [curve[c][i]['overall'].get('mpjpe_mm') for c in CODECS]
        v = [x for x in v if x is not None]
        if v: half.append((rate, min(v) / 2))
    if half:
        ax.plot(*zip(*half), ls='--', color='0.35', lw=1.2,
                label=f'half the best codec (target, ratio {TARGET_RATIO:g})')
    for name, r in res['recipes'].items():
        s = r['summary']
        ax.plot([s['bits_per_second']], [s['mpjpe_mm']], marker='*', ms=14, color='tab:red', ls='none',
                label='recipes (nominal rate)' if name == next(iter(res['recipes'])) else None)
        ax.plot([s['entropy_bits_per_second']], [s['mpjpe_mm']], marker='*', ms=11, mfc='none', color='tab:red',
                ls='none', label='recipes at their code entropy' if name == next(iter(res['recipes'])) else None)
        ax.annotate(f"{name}\n{s['mpjpe_mm']:.1f} mm", (s['bits_per_second'], s['mpjpe_mm']), xytext=(7, 5),
                    textcoords='offset points', fontsize=8, color='tab:red')
        if name in TARGET_MM:
            ax.plot([s['bits_per_second']], [TARGET_MM[name]], marker='_', ms=16, mew=2, color='tab:red', ls='none')
            ax.annotate(f"{name} target {TARGET_MM[name]:g} mm", (s['bits_per_second'], TARGET_MM[name]),
                        xytext=(7, -10), textcoords='offset points', fontsize=7, color='tab:red')
    ax.set_xscale('log'); ax.set_yscale('log'); ax.margins(0.06, 0.12)   # room for the labels
    plain = FuncFormatter(lambda v, _: f'{v:g}')
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain); axis.set_minor_formatter(FuncFormatter(lambda v, _: ''))
    for get, set_lim, set_ticks, ticks in (
            (ax.get_xlim, ax.set_xlim, ax.set_xticks, (50, 100, 200, 500, 1000, 2000, 5000)),
            (ax.get_ylim, ax.set_ylim, ax.set_yticks, (1, 2, 5, 10, 20, 50, 100, 200))):
        lo, hi = get()
        set_ticks([t for t in ticks if lo <= t <= hi]); set_lim(lo, hi)
    ax.set_xlabel('bits per second (log)'); ax.set_ylabel('held-out MPJPE, mm (log)')
    title = f"Rate and distortion on {len(HELD_OUT)} held-out G1 clips ({', '.join(HELD_OUT)})"
    if res['smoke']:
        its = sorted({r['iterations'] for r in res['recipes'].values()})
        title += f"\nSMOKE RUN ({'/'.join(map(str, its))} training iterations): a placeholder, not a result"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which='major', alpha=0.35); ax.grid(True, which='minor', alpha=0.12)
    ax.legend(fontsize=8, loc='upper right')
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path); plt.close(fig)
    return path


# -------------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--recipes', nargs='+', default=None, metavar='RECIPE',
                   help=f"recipe names in configs/ or YAML files (default: {' '.join(RECIPES)})")
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                   help='config override for every recipe (passed to motion-vqvae train); repeatable')
    p.add_argument('--out', default=None,
                   help='output directory: runs, rd.json, figure (default runs/rd; --smoke: a temporary directory)')
    p.add_argument('--motion_file', default=str(MOTION_FILE), help='the G1 walk/run file (default: %(default)s)')
    p.add_argument('--reuse', action='store_true',
                   help='evaluate the finished runs in RUNS/<recipe> instead of training')
    p.add_argument('--runs', default=None, metavar='RUNS', help='directory of the run directories (default: OUT)')
    p.add_argument('--jobs', type=int, default=1, choices=(1, 2),
                   help='trainings at once: 1 (torch default threads, or OMP_NUM_THREADS as set), '
                        '2 (side by side, OMP_NUM_THREADS=1 each)')
    p.add_argument('--codec-rates', nargs='+', type=float, default=None, metavar='R',
                   help=f"rates of the codec curve in bits/s (default {' '.join(map(str, CODEC_RATES))})")
    p.add_argument('--figure', default=None, metavar='PATH', help='also save the figure here (make rd: nbs/images/...)')
    p.add_argument('--smoke', action='store_true', help='fast end-to-end check: rd_112, 20 iterations, 3 codec rates')
    a = p.parse_args(argv)
    t_start = time.perf_counter()
    names = a.recipes or (SMOKE_RECIPES if a.smoke else RECIPES)
    sets = [f"val_clips=[{','.join(HELD_OUT)}]", *(SMOKE_SETS if a.smoke else []), *a.set]
    rates = a.codec_rates or (SMOKE_RATES if a.smoke else CODEC_RATES)
    out = Path(a.out) if a.out else (Path(tempfile.mkdtemp(prefix='rd_smoke_')) if a.smoke else ROOT/'runs'/'rd')
    out = out.resolve(); out.mkdir(parents=True, exist_ok=True)
    runs = Path(a.runs).resolve() if a.runs else out
    motion_file = Path(a.motion_file).resolve()
    if not motion_file.is_file(): raise SystemExit(f"--motion_file {motion_file}: no such file")
    configs = {Path(n).stem: recipe_path(n) for n in names}
    if a.reuse and a.jobs != 1: print('note: --jobs has no effect with --reuse (nothing is trained)', flush=True)
    env = dict(os.environ)
    if a.jobs > 1: env['OMP_NUM_THREADS'] = '1'
    threads = env.get('OMP_NUM_THREADS')
    threads = (f"OMP_NUM_THREADS={threads}" if threads else 'torch default') + f", {a.jobs} training(s) at a time"

    # the nominal rate each recipe must have (checked against the trained run's below)
    motions = held_out_motions(motion_file)                      # the file is read once
    want_rate = {n: recipe_rate(c, sets, motions[0]) for n, c in configs.items()}
    recs: dict[str, dict] = {n: dict(config=str(c.relative_to(ROOT) if c.is_relative_to(ROOT) else c),
                                     run_dir=str(runs/n), overrides=sets, threads=threads,
                                     recipe_rate=want_rate[n].to_dict())
                             for n, c in configs.items()}
    if a.reuse:
        for n, c in configs.items(): recs[n] |= reused(n, c, runs/n, sets)
    else:
        with ThreadPoolExecutor(max_workers=a.jobs) as pool:
            futs = {n: pool.submit(train, n, c, runs/n, sets, motion_file, env) for n, c in configs.items()}
            for n, f in futs.items(): recs[n] |= f.result()

    from motion_vqvae.metrics import kinematic_model_for
    km, order = kinematic_model_for(motions[0].dof_pos.shape[1], motions[0].dof_names, None)
    for n in configs:
        recs[n] |= evaluate(n, runs/n, motion_file, env, motions, km, order)
        got, want = recs[n]['held_out']['overall']['bits_per_second'], want_rate[n].bits_per_second
        if not math.isclose(got, want, rel_tol=1e-9):
            raise SystemExit(f"{n}: the run in {runs/n} has a nominal rate of {got:g} bits/s, but {configs[n]} with "
                             f"--set {sets} builds a {want:g} bits/s tokenizer ({want_rate[n].describe()})")
        recs[n]['summary'] = summarise(n, recs[n])

    print(f"codec curve: {len(rates)} rates x {len(CODECS)} codecs on {len(motions)} held-out clips", flush=True)
    curve = dict(rates=[float(r) for r in rates], clips=HELD_OUT,
                 command="motion_vqvae.codec.evaluate_codec(held-out clips, R, codec, km=G1) for each R and codec",
                 **{c: [codec_point(motions, r, c, km, order) for r in rates] for c in CODECS})
    for c in CODECS:                       # the per-clip lists of the curve are not needed again; keep the overall
        curve[c] = [dict(overall=p['overall'], candidates=p.get('candidates'),
                         **({'error': p['error']} if 'error' in p else {})) for p in curve[c]]

    res = dict(created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
               command='python scripts/rd_bench.py ' + shlex.join(sys.argv[1:] if argv is None else argv),
               smoke=a.smoke, machine=machine(), threads=threads, jobs=a.jobs, reuse=a.reuse,
               motion_file=str(motion_file), held_out=HELD_OUT, held_out_frames=sum(m.n_frames for m in motions),
               fps=motions[0].fps, targets=dict(ratio_max=TARGET_RATIO, mpjpe_mm_max=TARGET_MM),
               recipes=recs, codec_curve=curve)
    res['tables'] = dict(recipes=recipe_table(recs), codec_curve=curve_table(curve))
    fig = plot(res, out/'rate_distortion.png')
    res['figures'] = [str(fig)]
    if a.figure:
        dst = Path(a.figure).resolve(); dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fig, dst); res['figures'].append(str(dst))
    res['wall_s'] = round(time.perf_counter() - t_start, 1)
    (out/'rd.json').write_text(json.dumps(res, indent=1, default=float))

    print('\n' + res['tables']['recipes'] + '\n')
    for n, r in recs.items():
        ld = r.get('train_load') or {}
        print(f"- {n}: {'trained' if r['trained'] else 'reused ' + r['run_dir']}; training "
              f"{_f(r['train_total_wall_s'], '.1f')} s total, {_f(r['train_step_wall_s'], '.1f')} s in "
              "optimisation steps; "
              f"load average during training mean {ld.get('load_mean', '-')} (min {ld.get('load_min', '-')}, "
              f"max {ld.get('load_max', '-')}); {threads}; overrides {r['overrides']}")
    m = res['machine']
    print(f"- machine: {m['nproc']} CPUs ({m['cpus_usable']} usable), {m['cpu_model']}; torch {m['torch']}; "
          f"{res['created']}")
    print('\ncodec curve (held-out clips; side information not counted):\n\n' + res['tables']['codec_curve'])
    print(f"\nwrote {out/'rd.json'} and {', '.join(res['figures'])} ({res['wall_s']} s)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
