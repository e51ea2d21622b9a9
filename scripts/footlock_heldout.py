#!/usr/bin/env python
"""Foot locking measured: a trained tokenizer's held-out G1 reconstructions with and without `foot_lock`, and
real motion (the held-out clips, a BVH file) passed through `footlock.lock_feet`.

Metrics are `metrics.clip_metrics` (frame-weighted over clips, as `MotionTokenizer.evaluate`). Besides them, the root
velocity error in each motion's own heading frame (`heading_vel_err_mps`): the world-frame error also counts the
decoded heading's drift, which foot locking (root x, y only) cannot change.

Usage (from the repository root, venv active):

    python scripts/footlock_heldout.py --checkpoint runs/my_tokenizer
    python scripts/footlock_heldout.py --checkpoint runs/my_tokenizer --rule '{"vspeed": 0.3}'
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from motion_vqvae.footlock import contacts, lock_feet
from motion_vqvae.io import load_motions
from motion_vqvae.metrics import aggregate_metrics, clip_metrics
from motion_vqvae.rotations import quat_yaw
from motion_vqvae.tokenizer import MotionTokenizer

G1_FILE, BVH_FILE = '../shared/data/g1/walkrun_g1_29dof.npy', '../shared/data/bvh/01_01.bvh'
HELD_OUT = ['clip_002', 'clip_003', 'clip_005']          # as scripts/quality_heldout.py
KEYS = ('foot_skate_ratio', 'foot_skate_ratio_gt', 'mpjpe_mm', 'root_vel_err_mps', 'heading_vel_err_mps',
        'accel_error_mm')


def heading_velocity(m) -> np.ndarray:
    "Horizontal root velocity (T-1, 2) m/s in the root's own heading frame."
    yaw = np.asarray(quat_yaw(m.root_quat_wxyz), np.float64)[:-1]
    v = np.diff(m.root_pos[:, :2], axis=0) * m.fps
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]], 1)


def score(pairs, km=None, order=None) -> dict:
    "Frame-weighted metrics of (ground truth, motion) pairs, with the heading-frame root velocity error."
    clips = []
    for g, r in pairs:
        e = float(np.linalg.norm(heading_velocity(r) - heading_velocity(g), axis=1).mean())
        clips.append(dict(frames=g.n_frames, **clip_metrics(g, r, km, order), heading_vel_err_mps=e))
    agg = aggregate_metrics(clips)
    w = np.array([c['frames'] for c in clips], float)
    agg['heading_vel_err_mps'] = float((w * [c['heading_vel_err_mps'] for c in clips]).sum() / w.sum())
    return {k: round(agg[k], 4) for k in KEYS if k in agg}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--checkpoint', required=True, help='tokenizer or run directory of a 29-DOF G1 tokenizer')
    p.add_argument('--rule', default='{}', help='JSON dict of lock_feet keywords (height, release, vspeed, ...)')
    args = p.parse_args()
    torch.set_num_threads(1)
    rule = json.loads(args.rule)
    tok = MotionTokenizer.load(args.checkpoint)
    km, order = tok.kinematics
    gts = tok.read_clips(G1_FILE, HELD_OUT, drop_transitions=True)
    recs = [tok.decode(tok.encode_clip(g), foot_lock=False) for g in gts]
    rows = {'reconstruction': score(zip(gts, recs), km, order),
            'reconstruction + lock_feet': score([(g, lock_feet(r, km, order, **rule)) for g, r in zip(gts, recs)],
                                                km, order),
            'G1 ground truth + lock_feet': score([(g, lock_feet(g, km, order, **rule)) for g in gts], km, order)}
    bvh = load_motions(BVH_FILE)[0]
    rows['BVH 01_01 + lock_feet'] = score([(bvh, lock_feet(bvh, **rule))])
    share = {g.name: (round(float(contacts(g, km, order, **{k: v for k, v in rule.items() if k != 'blend'})[1]
                                   .mean()), 3),
                      round(float(contacts(r, km, order, **{k: v for k, v in rule.items() if k != 'blend'})[1]
                                  .mean()), 3)) for g, r in zip(gts, recs)}
    print(f"rule {rule}; planted share (ground truth, reconstruction): {share}")
    print("| motion | " + " | ".join(KEYS) + " |\n|---|" + "---|" * len(KEYS))
    for name, r in rows.items(): print(f"| {name} | " + " | ".join(str(r.get(k, '')) for k in KEYS) + " |")


if __name__ == '__main__':
    main()
