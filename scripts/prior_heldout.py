#!/usr/bin/env python
"""Held-out rate of a token prior on the G1 walk/run clips, and generated motion for the generation metrics.

Trains a prior (`configs/prior/quick.yaml` by default, `--set` overrides) on the codes of a trained tokenizer for the
11 training clips of `../shared/data/g1/walkrun_g1_29dof.npy` (held out: quality_heldout.HELD_OUT), on one thread,
then reports the held-out bits per second (the prior's), the tokenizer's nominal and unigram rates and the
next-token accuracy, and writes to `--gen-dir`:

* `continue_<clip>_s<k>.npy`: 2-s prompt (the first 100 frames of held-out clip <clip>) + 10 s generated, sample k
  (seed k), decoded together by the tokenizer; the first 96 frames (the prompt cut to whole 16-frame token steps)
  are the prompt's reconstruction;
* `inbetween_<clip>.npy`: prompt (frames 0-95 of the clip), a 3-s generated gap, the ending (frames 250-349),
  decoded together (the junction into the ending is at frame 96 + 3 s).

Then `prior.evaluate_generation` (what `motion-vqvae evaluate-prior` prints) on the held-out clips, with the
training clips as the Fréchet yardstick, and the table of the issue's targets; `--figure PATH` draws three
10-s continuations of a 2-s prompt of clip_005 with the real clip (`plots.generation_figure`; the README's figure).

Usage (repository root):

    python scripts/prior_heldout.py --tokenizer RD_112_RUN_DIR --out runs/prior_g1 --figure nbs/images/continuation.png
    python scripts/prior_heldout.py --tokenizer RD_112_RUN_DIR --out runs/prior_g1 --reuse     # no training
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'scripts'))
from quality_heldout import HELD_OUT, MOTION_FILE  # noqa: E402


def baselines(tok, prior, motions, cfg) -> dict:
    "Held-out bits/s of two count models of the sub-tokens fitted on the training sequences (mirrors, offsets)."
    from motion_vqvae.prior import encode_sequences
    lay = prior.layout
    train = [s for _, s in encode_sequences(tok, lay, [m for m in motions if m.name not in HELD_OUT], cfg.offsets,
                                            cfg.augment_mirror)]
    held = [lay.to_slots(tok.encode(m)) for m in motions if m.name in HELD_OUT]
    secs = sum(m.n_frames / m.fps for m in motions if m.name in HELD_OUT)
    uni = bi = 0.0
    for s, v in enumerate(lay.slot_vocab):
        h = np.ones(v) + np.bincount(np.concatenate([q[:, s] for q in train]), minlength=v)
        uni -= sum(np.log2(h[q[:, s]] / h.sum()).sum() for q in held)
        c = np.ones((v, v))
        for q in train: np.add.at(c, (q[:-1, s], q[1:, s]), 1)
        c /= c.sum(1, keepdims=True)
        bi -= sum(np.log2(h[q[0, s]] / h.sum()) + np.log2(c[q[:-1, s], q[1:, s]]).sum() for q in held)
    return {'unigram': uni / secs, 'bigram': bi / secs}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--tokenizer', required=True)
    p.add_argument('--motion-file', default=str(MOTION_FILE))
    p.add_argument('--out', default='runs/prior_g1')
    p.add_argument('--config', default=str(ROOT/'configs/prior/quick.yaml'))
    p.add_argument('--set', action='append', default=[])
    p.add_argument('--gen-dir', default=None, help='write generated NPY files here')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--reuse', action='store_true', help='evaluate the finished prior in --out, no training')
    p.add_argument('--figure', default=None, help='write the continuation figure here')
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    from motion_vqvae.io import write_npy
    from motion_vqvae.prior import PriorConfig, PriorTrainer, TokenPrior, evaluate_generation
    from motion_vqvae.tokenizer import MotionTokenizer
    tok = MotionTokenizer.load(args.tokenizer)
    motions = tok.read_clips(args.motion_file, drop_transitions=True)
    cfg = PriorConfig.from_yaml(args.config).with_overrides([f'val_clips={json.dumps(HELD_OUT)}', *args.set])
    wall = None
    if not args.reuse:
        t0 = time.perf_counter()
        tr = PriorTrainer(tok, motions, args.out, cfg, overwrite=True, progress=False)
        summary = tr.fit()
        wall = time.perf_counter() - t0
        print(f"trained {summary['iterations']} steps in {wall:.0f} s ({summary['wall_time_s']:.0f} s in steps), "
              f"{summary['windows']} windows")
    prior = TokenPrior.load(args.out)
    held = [m for m in motions if m.name in HELD_OUT]
    train = [m for m in motions if m.name not in HELD_OUT]
    gen = evaluate_generation(prior, held, train)        # the held-out rate (gen['rate']) and the generation metrics
    ev, train_ev = gen['rate'], prior.evaluate(train)
    base = baselines(tok, prior, motions, cfg)
    print(f"baselines from the training clips' digits (Laplace-smoothed): unigram {base['unigram']:.1f} bits/s, "
          f"bigram (each digit given the same digit one step before) {base['bigram']:.1f} bits/s")
    res = {'config': args.config, 'set': args.set, 'total_wall_s': wall, 'train_digit_baselines_bits_per_second': base,
           'heldout': {k: v for k, v in ev.items() if k != 'clips'}, 'heldout_clips': ev['clips'],
           'train': {k: v for k, v in train_ev.items() if k != 'clips'}}
    print(f"held-out: {ev['bits_per_second']:.1f} bits/s (nominal {ev['nominal_bits_per_second']:.1f}, unigram "
          f"in-sample {ev['unigram_bits_per_second']:.1f}), sub-token accuracy {ev['token_accuracy']:.3f}, "
          f"code accuracy {ev['code_accuracy']:.3f}")
    print(f"training clips: {train_ev['bits_per_second']:.1f} bits/s, accuracy {train_ev['token_accuracy']:.3f}")
    if args.gen_dir:                                       # samples for other tools; measured above
        g = Path(args.gen_dir); g.mkdir(parents=True, exist_ok=True)
        for m in held:
            for k, c in enumerate(prior.generate(10, prompt=m.slice(0, 100), num=3, seed=0)):
                write_npy(c, g/f"continue_{m.name}_s{k}.npy", overwrite=True)
            write_npy(prior.generate(3, prompt=m.slice(0, 96), end=m.slice(250, 350), seed=0)[0],
                      g/f"inbetween_{m.name}.npy", overwrite=True)
    res['evaluate_generation'] = gen
    print(targets_table(gen, res.get('total_wall_s') or getattr(prior, 'summary', {}).get('wall_time_s')))
    if args.figure:
        from motion_vqvae.plots import generation_figure
        m = next(c for c in held if c.name == 'clip_005')
        samples = prior.generate(10, prompt=m.slice(0, 100), num=3, seed=0)
        from dataclasses import replace
        from motion_vqvae.features import placeholder_names
        from motion_vqvae.io import G1_29DOF_NAMES
        if placeholder_names(m.dof_names) and m.dof_pos.shape[1] == 29:     # the NPY's columns are the G1's joints
            named = lambda x: replace(x, dof_names=list(G1_29DOF_NAMES))
            samples, m = [named(s) for s in samples], named(m)
        fig = generation_figure(samples, 96, real=m, title='held-out clip_005: a 2-s prompt, three 10-s continuations '
                                '(seed 0), the real clip dotted')
        Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.figure, dpi=110)
        print(f"figure -> {args.figure}")
    Path(args.out, 'prior_heldout.json').write_text(json.dumps(res, indent=1, default=float))
    return 0


def targets_table(ev: dict, train_s) -> str:
    "The issue's targets, measured (markdown)."
    c, ib = ev['continuation'], ev.get('inbetween') or {}
    sk, fr, lim, ej = c['foot_skate_ratio'], c['frechet'], c['joint_limits'], ib.get('end_junction') or {}
    ok = lambda b: 'met' if b else '**missed**'
    rows = [('prior training time', 'at most 600 s', f"{train_s:.0f} s" if train_s else 'n/a (reused)',
             ok(train_s is not None and train_s <= 600) if train_s else '-'),
            ('held-out prior rate', f"at most {ev['nominal_bits_per_second'] / 2:.1f} bits/s (half the nominal)",
             f"{ev['bits_per_second']:.1f} bits/s", ok(ev['bits_per_second'] <= ev['nominal_bits_per_second'] / 2)),
            ('foot skating of continuations', f"at most 1.5 x real ({1.5 * sk['heldout']:.3f})",
             f"{sk['generated']:.3f} ({sk['ratio']:.2f} x)", ok(sk['ratio'] <= 1.5)),
            ('joint-limit violations', '0', f"{lim['generated']['violations']} (before clamping "
             f"{c['raw_joint_limits']['violations']})", ok(lim['generated']['violations'] == 0)),
            ('Fréchet distance to held-out windows', f"at most 2 x training set's ({2 * fr['train_vs_heldout']:.1f})",
             f"{fr['generated_vs_heldout']:.1f} ({fr['ratio']:.2f} x)", ok(fr['ratio'] <= 2)),
            ('in-betweening: ending met within one token step', 'ending MPJPE = its reconstruction\'s',
             f"{ib.get('end_mpjpe_mm', float('nan')):.1f} mm vs {ib.get('end_reconstruction_mpjpe_mm', float('nan')):.1f} mm",
             ok(abs(ib.get('end_mpjpe_mm', 1e9) - ib.get('end_reconstruction_mpjpe_mm', 0)) < 1.0)),
            ('in-betweening: largest joint jump at the ending', f"at most the data's ({ej.get('data_max_rad', 0):.3f} rad)",
             f"{ej.get('max_rad', float('nan')):.3f} rad", ok(ej.get('ok', False)))]
    return '\n'.join(['| target | required | measured | |', '|---|---|---|---|'] +
                     [f"| {a} | {b} | {m} | {o} |" for a, b, m, o in rows])


if __name__ == '__main__':
    sys.exit(main())
