"""Crash safety: a training process killed with SIGKILL at random moments, and resumed each time, ends with the
model of an uninterrupted run (the design is in nbs/20_trainer.ipynb, "Checkpoint files" and "The agent").

SIGKILL cannot be caught: the process gets no chance to save anything, so this checks what a power cut, the
kernel's OOM killer or a scheduler's hard preemption leaves behind. The test
- trains a tiny config uninterrupted through `motion-vqvae train` (the reference);
- trains it again in another run directory, SIGKILLs the process `KILLS` times and restarts it with `--resume`
  after each kill, then lets it finish. Each kill waits until the process has saved a checkpoint beyond the
  one it resumed from, then either sleeps a random time (up to ~2.5 checkpoint intervals: the kill lands in a
  training step, in logging, or in a checkpoint write) or kills as soon as a checkpoint's temporary file appears
  (mid-write). The delays and the order of the two kinds come from a seeded RNG; the seed is printed, and
  `MVQ_KILL_SEED=<seed>` repeats a run's choices (the moments themselves depend on the machine's load);
- after each kill: the process died of SIGKILL (returncode -9, not a normal end); `latest.pt` and every
  `ckpt_*.pt` load with `torch.load(weights_only=True)` and hold every entry; `latest.pt` is from a later
  iteration than the previous resume (progress was made) and its metrics history is the reference's, step
  for step;
- at the end: every tensor of `model.safetensors` and of the final checkpoint (model, optimiser, scheduler,
  RNG states, data order) is bit-identical (`torch.equal`) to the reference's, and so is the metrics history
  (every per-step loss), apart from wall times; no temporary file is left in the run directory.
"""
import json, os, random, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
G1 = ROOT.parent/'shared'/'data'/'g1'/'walkrun_g1_29dof.npy'
ITERS, SAVE_EVERY, KILLS = 200, 5, 4
SEED = int(os.environ.get('MVQ_KILL_SEED', random.SystemRandom().randrange(2**32)))
TIMEOUT = 180                      # s, for one process
CONFIG = f"""\
agent:
  config:
    batch_size: 16
    window_size: 16
    window_stride: 16
    width: 32
    depth: 1
    output_emb_width: 32
    code_dim: 32
    nb_code: 32
    lr: 5e-3
    warm_up_iter: 5
    lr_scheduler: [60]
    gamma: 0.5
    total_iter: {ITERS}
    eval_every: 0
    save_every: {SAVE_EVERY}
    log_every: 1
    device: cpu
    amp: "off"
    seed: 7
"""
# Entries (of checkpoints and metrics lines) that measure wall time, the only thing allowed to differ.
UNTIMED = {'wall_time', 'time'}


def train_cmd(tmp: Path, out: Path, resume: bool) -> list[str]:
    exe = Path(sys.executable).parent/'motion-vqvae'                # the console script of this environment
    cli = [str(exe)] if exe.is_file() else [sys.executable, '-m', 'motion_vqvae.cli']
    data = ['--motion_file', str(G1)] if G1.exists() else []        # else the package's embedded G1 sample
    return [*cli, 'train', '--config', str(tmp/'tiny.yaml'), *data, '--out', str(out), '--resume' if resume else '--overwrite']


def start(tmp: Path, out: Path, resume: bool, log: str) -> subprocess.Popen:
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    for k in ('WORLD_SIZE', 'RANK', 'LOCAL_RANK'): env.pop(k, None)
    with open(tmp/log, 'w') as f:
        return subprocess.Popen(train_cmd(tmp, out, resume), cwd=tmp, env=env, stdout=f, stderr=subprocess.STDOUT)


def tail(tmp: Path, log: str, n: int = 3000) -> str: return (tmp/log).read_text()[-n:]


def untimed(hist: list[dict]) -> list[dict]: return [{k: v for k, v in r.items() if k not in UNTIMED} for r in hist]


def assert_same(a, b, where: str):
    "Recursive equality; tensors bit for bit (`torch.equal`, same dtype)."
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{tuple(a.shape)} vs {b.dtype}{tuple(b.shape)}"
        if not torch.equal(a, b):
            d = (a.double() - b.double()).abs().max().item() if a.is_floating_point() else 'n/a'
            raise AssertionError(f"{where}: tensors differ (max abs difference {d})")
    elif isinstance(a, dict):
        assert set(a) == set(b), f"{where}: keys {sorted(set(a) ^ set(b), key=str)} in only one"
        for k in a:
            if k not in UNTIMED: assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)): assert_same(x, y, f"{where}[{i}]")
    else: assert a == b, f"{where}: {a!r} vs {b!r}"


def ckpt_iter(p: Path) -> int: return int(p.stem.split('_')[1])


def latest_beyond(ck: Path, s: int) -> bool:
    "Whether latest.pt is (a hard link to) a checkpoint of an iteration after `s`."
    try:
        ino = os.stat(ck/'latest.pt').st_ino
        return any(ckpt_iter(p) > s and os.stat(p).st_ino == ino for p in ck.glob('ckpt_*.pt'))
    except FileNotFoundError: return False        # not written yet, or pruned while we looked


def temp_files(d: Path) -> list[str]: return sorted(p.name for p in d.rglob('*.tmp'))


def wait_for(cond, proc: subprocess.Popen, what: str, tmp: Path, log: str, poll: float) -> None:
    t0 = time.monotonic()
    while not cond():
        assert proc.poll() is None, f"seed {SEED}: the process ended (rc {proc.returncode}) while waiting for {what}:\n{tail(tmp, log)}"
        assert time.monotonic() - t0 < TIMEOUT, f"seed {SEED}: timed out waiting for {what}"
        time.sleep(poll)


def last_logged_iter(out: Path) -> int:
    "Iteration of the last complete line of metrics.jsonl (the step the kill came after, give or take the line being written)."
    it = 0
    for line in (out/'metrics.jsonl').read_text().splitlines():
        try: it = json.loads(line)['iter']
        except (ValueError, KeyError): pass        # a line cut by the kill
    return it


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    print(f"\ntest_kill_resume: seed {SEED} (repeat with MVQ_KILL_SEED={SEED})")
    tmp = tmp_path_factory.mktemp('kill_resume')
    (tmp/'tiny.yaml').write_text(CONFIG)
    ref_dir, out = tmp/'reference', tmp/'killed'
    p = start(tmp, ref_dir, False, 'reference.log')
    try: assert p.wait(TIMEOUT) == 0, tail(tmp, 'reference.log')
    finally: p.kill()
    ref_ck = torch.load(ref_dir/'checkpoints'/f'ckpt_{ITERS:07d}.pt', map_location='cpu', weights_only=True)
    step_s = json.loads((ref_dir/'train_summary.json').read_text())['wall_time_s'] / ITERS
    interval = SAVE_EVERY * step_s                   # s between checkpoints, write time not counted

    rng = random.Random(SEED)
    modes = ['mid-write'] + ['random'] * (KILLS - 1)
    rng.shuffle(modes)
    ck, kills, s = out/'checkpoints', [], 0
    for i, mode in enumerate(modes):
        log = f'killed_{i}.log'
        p = start(tmp, out, i > 0, log)
        try:
            wait_for(lambda: latest_beyond(ck, s), p, f"a checkpoint after iteration {s}", tmp, log, 0.01)
            if mode == 'random':
                delay = rng.uniform(0, 2.5 * interval)
                time.sleep(delay)
            else:
                delay, before = None, set(ck.glob('.*.tmp'))     # (fit deletes a killed process's leftovers)
                wait_for(lambda: set(ck.glob('.*.tmp')) - before, p, "a checkpoint being written", tmp, log, 0.0005)
            p.send_signal(signal.SIGKILL)
            rc = p.wait(TIMEOUT)
        finally: p.kill()
        latest = torch.load(ck/'latest.pt', map_location='cpu', weights_only=True)
        files = {q.name: torch.load(q, map_location='cpu', weights_only=True) for q in sorted(ck.glob('ckpt_*.pt'))}
        kills.append(dict(mode=mode, delay=delay, rc=rc, resumed_from=s, latest=latest, files=files,
                          killed_after=last_logged_iter(out), temp=temp_files(out), log=tail(tmp, log)))
        print(f"kill {i + 1}: {mode}" + (f" {delay * 1e3:.0f} ms after the checkpoint" if delay is not None else '') +
              f", rc {rc}, resumed from {s}, last logged step {kills[-1]['killed_after']}, latest.pt at "
              f"{latest['iteration']}, left {kills[-1]['temp'] or 'no temporary file'}")
        s = int(latest['iteration'])

    p = start(tmp, out, True, 'final.log')
    try: rc = p.wait(TIMEOUT)
    finally: p.kill()
    assert rc == 0, tail(tmp, 'final.log')
    return dict(tmp=tmp, ref_dir=ref_dir, out=out, ref_ck=ref_ck, kills=kills, interval=interval)


def test_killed_mid_training_each_time(runs):
    assert len(runs['kills']) >= 3
    for i, k in enumerate(runs['kills']):
        what = f"seed {SEED}, kill {i + 1} ({k['mode']})"
        assert k['rc'] == -signal.SIGKILL, f"{what}: the process was not killed by SIGKILL (rc {k['rc']}):\n{k['log']}"
        it = int(k['latest']['iteration'])
        assert k['resumed_from'] < it < ITERS, f"{what}: latest.pt at iteration {it}, resumed from {k['resumed_from']}"
        assert it <= k['killed_after'] < ITERS, f"{what}: last logged step {k['killed_after']}, latest.pt at {it}"
        assert 'resumed from' in k['log'] or i == 0, f"{what}: the process did not resume:\n{k['log']}"
    assert [k['resumed_from'] for k in runs['kills']][1:] == [int(k['latest']['iteration']) for k in runs['kills']][:-1]


def test_checkpoints_complete_after_each_kill(runs):
    "After each kill, every checkpoint on disk loads (weights_only) complete, and is the reference run's state at that step."
    ref = runs['ref_ck']
    ref_hist = untimed(ref['history'])
    for i, k in enumerate(runs['kills']):
        assert k['files'], f"seed {SEED}, kill {i + 1}: no ckpt_*.pt"
        for name, ck in {'latest.pt': k['latest'], **k['files']}.items():
            what = f"seed {SEED}, kill {i + 1}, {name}"
            assert set(ck) == set(ref), f"{what}: entries {sorted(set(ck) ^ set(ref))} missing or extra"
            assert ck['format'] == ref['format'] and int(ck['iteration']) % SAVE_EVERY == 0, what
            assert {n: t.shape for n, t in ck['model'].items()} == {n: t.shape for n, t in ref['model'].items()}, what
            assert_same(untimed(ck['history']), ref_hist[:int(ck['iteration'])], f"{what} history (log_every 1: one line a step)")
        # latest.pt is re-pointed right after ckpt_N.pt is complete: a kill in that gap (seen once in CI, seed
        # 1655400703) leaves latest.pt one save behind with no temporary file; the resume then repeats those steps
        # and the final state is still bit-identical (test_final_model_equals_uninterrupted)
        newest = max(int(c['iteration']) for c in k['files'].values())
        assert int(k['latest']['iteration']) in (newest, newest - SAVE_EVERY) or k['temp'], \
            f"seed {SEED}, kill {i + 1}: latest.pt at {k['latest']['iteration']}, the newest checkpoint at {newest}"


def test_final_model_equals_uninterrupted(runs):
    from safetensors.torch import load_file
    ref_dir, out = runs['ref_dir'], runs['out']
    a, b = load_file(ref_dir/'model.safetensors'), load_file(out/'model.safetensors')
    assert set(a) == set(b) and any(k.endswith('codebook') for k in a)
    for k in a: assert torch.equal(a[k], b[k]), f"seed {SEED}: model.safetensors {k} differs from the uninterrupted run's"
    ref = runs['ref_ck']
    ck = torch.load(out/'checkpoints'/f'ckpt_{ITERS:07d}.pt', map_location='cpu', weights_only=True)
    cfg = lambda c: {k: v for k, v in c.items() if k not in ('out_dir', 'resume')}
    assert_same(cfg(ck['config']), cfg(ref['config']), 'config')
    for key in set(ref) - {'config'} - UNTIMED: assert_same(ck[key], ref[key], f"seed {SEED}: final checkpoint [{key!r}]")
    lines = lambda d: untimed([json.loads(l) for l in (d/'metrics.jsonl').read_text().splitlines()])
    assert lines(out) == lines(ref_dir), f"seed {SEED}: metrics.jsonl differs from the uninterrupted run's"
    assert len([l for l in lines(out) if l['split'] == 'train']) == ITERS
    assert temp_files(out) == [], f"seed {SEED}: temporary files left in the run directory: {temp_files(out)}"
