"""Multi-process training: real `torchrun` jobs (2 CPU processes, gloo) against single-process runs.

What is checked (the design is explained in nbs/20_trainer.ipynb, "Several processes: torchrun and DDP"):
- the two ranks end with bit-identical codebooks, EMA buffers, usage counters, parameters and optimiser states
  (DDP does not broadcast buffers: the quantizers synchronise their own);
- a 2-process run equals a 1-process run with the same global `batch_size` within TOL (floating-point
  summation order is the only difference), for the T2M-GPT `ema_reset` quantizer (data initialisation and
  dead-code re-seeding included) and a residual quantizer with quantize dropout;
- a checkpoint written by 2 processes resumes on 1, and one written by 1 process resumes on 2 through the
  `motion-vqvae train` command under torchrun (the README's multi-GPU command, on CPU).
"""
import json, os, shutil, subprocess, sys, textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
G1 = ROOT.parent/'shared'/'data'/'g1'/'walkrun_g1_29dof.npy'
TOL = 1e-5        # max abs difference of parameters / codebook buffers, 2 processes vs 1 (seen: ~2e-6 after 16 steps)
ITERS, HALF = 16, 8

BASE = dict(motion_file=str(G1) if G1.exists() else None,     # None = the package's embedded copy of the G1 clips
            width=32, depth=1, output_emb_width=32, code_dim=32, nb_code=32, window_size=16, window_stride=16,
            batch_size=24, lr=5e-3, warm_up_iter=5, lr_scheduler=[30], gamma=0.5, total_iter=ITERS, log_every=4,
            eval_every=HALF, save_every=HALF, device='cpu', amp='off', seed=7)
CONFIGS = {'ema_reset': {},
           'residual': dict(quantizer='residual', num_quantizers=2, quantize_dropout_prob=0.5)}

# Each rank trains every config and dumps its final state to out_dir/rank{r}.pt.
WORKER = textwrap.dedent('''
    import json, sys, torch
    torch.set_num_threads(1)
    from motion_vqvae.trainer import MVQVAEAgent
    for cfg in json.loads(sys.argv[1]):
        agent = MVQVAEAgent(cfg, progress=False).setup()
        res = agent.fit()
        torch.save({'model': agent.model.state_dict(), 'optimizer': agent.optimizer.state_dict(),
                    'history': agent.history, 'result': res, 'world_size': agent.dist.world_size,
                    'loader': agent.loader.state_dict()}, f"{cfg['out_dir']}/rank{agent.dist.rank}.pt")
''')


def torchrun(args: list[str], tmp: Path, timeout: float = 180) -> str:
    "Run `torchrun --standalone --nproc_per_node 2 ARGS`; its output, or a failure showing it."
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop('WORLD_SIZE', None); env.pop('RANK', None); env.pop('LOCAL_RANK', None)
    p = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', *args],
                       cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    return out


def single(cfg: dict, **kw):
    "Train `cfg` in this process (1 process, the same global batch)."
    from motion_vqvae.trainer import MVQVAEAgent
    agent = MVQVAEAgent({**cfg, **kw}, progress=False).setup(overwrite=True)
    return agent, agent.fit()


def assert_close_states(a: dict, b: dict, what: str):
    assert set(a) == set(b), what
    for k in a:
        if a[k].is_floating_point():
            d = (a[k].double() - b[k].double()).abs().max().item()
            assert d <= TOL, f"{what}: {k} differs by {d:.3g} > {TOL}"
        else: assert torch.equal(a[k], b[k]), f"{what}: {k} differs"


def assert_close_history(h1: list, h2: list, what: str):
    assert [(r['iter'], r['split']) for r in h1] == [(r['iter'], r['split']) for r in h2], what
    # perplexity and active codes count discrete code choices: a latent almost equidistant from two codes may pick
    # either when two runs differ by float rounding (seen: val perplexity 10.968 vs 11.028 after a 2 -> 1 resume,
    # with val loss equal to 1.4e-5), so they get 1%; the loss terms stay at 1e-4
    for r1, r2 in zip(h1, h2):
        for k in ('loss', 'recons', 'commit', 'perplexity', 'active_codes'):
            rel = 1e-2 if k in ('perplexity', 'active_codes') else 1e-4
            if k in r1: assert r1[k] == pytest.approx(r2[k], rel=rel, abs=1e-6), f"{what}: iter {r1['iter']} {r1['split']} {k}"


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "One 2-process torchrun job training both configs, and the same configs in this process."
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp('ddp')
    (tmp/'worker.py').write_text(WORKER)
    cfgs = {name: {**BASE, **extra, 'out_dir': str(tmp/f'{name}_2p')} for name, extra in CONFIGS.items()}
    torchrun([str(tmp/'worker.py'), json.dumps(list(cfgs.values()))], tmp)
    out = {'tmp': tmp}
    from motion_vqvae.quantizers import VectorQuantizer
    reseeds, orig = [], VectorQuantizer._reseed
    def counting(self, z):
        reseeds.append(int((self.ema_count < self.dead_code_threshold).sum())); return orig(self, z)
    VectorQuantizer._reseed = counting
    try:
        for name, cfg in cfgs.items():
            ranks = [torch.load(Path(cfg['out_dir'])/f'rank{r}.pt', weights_only=False) for r in (0, 1)]
            reseeds.clear()
            agent, res = single(cfg, out_dir=str(tmp/f'{name}_1p'))
            out[name] = dict(cfg=cfg, ranks=ranks, agent=agent, res=res, reseeded=sum(reseeds))
    finally: VectorQuantizer._reseed = orig
    return out


@pytest.mark.parametrize('name', list(CONFIGS))
def test_ranks_identical(runs, name):
    r0, r1 = runs[name]['ranks']
    assert r0['world_size'] == r1['world_size'] == 2
    for k in r0['model']: assert torch.equal(r0['model'][k], r1['model'][k]), f"{name}: rank 0 and 1 differ in {k}"
    assert any(k.endswith('codebook') for k in r0['model']) and any(k.endswith('ema_sum') for k in r0['model'])
    for s0, s1 in zip(r0['optimizer']['state'].values(), r1['optimizer']['state'].values()):
        assert all(torch.equal(s0[k], s1[k]) for k in s0)
    untimed = lambda h: [{k: v for k, v in r.items() if k != 'time'} for r in h]     # wall time differs per rank
    assert untimed(r0['history']) == untimed(r1['history']) and r0['loader'] == r1['loader']
    assert {k: v for k, v in r0['result'].items() if k != 'wall_time_s'} == {k: v for k, v in r1['result'].items() if k != 'wall_time_s'}


@pytest.mark.parametrize('name', list(CONFIGS))
def test_two_processes_equal_one(runs, name):
    run = runs[name]
    r0, agent = run['ranks'][0], run['agent']
    assert_close_states(agent.model.state_dict(), r0['model'], f"{name}: 2 processes vs 1")
    assert_close_history(agent.history, r0['history'], f"{name}: metrics 2 processes vs 1")
    assert r0['loader'] == agent.loader.state_dict()
    assert run['reseeded'] > 0, "the test run re-seeded no dead code: it would not test re-seeding"
    # rank 0 wrote the run directory: what a single process writes, and only once
    d2 = Path(run['cfg']['out_dir'])
    assert sorted(p.name for p in (d2/'checkpoints').iterdir()) == ['ckpt_0000008.pt', 'ckpt_0000016.pt', 'latest.pt']
    lines = [json.loads(l) for l in (d2/'metrics.jsonl').read_text().splitlines()]
    assert [l['iter'] for l in lines] == [r['iter'] for r in agent.history]
    assert json.loads((d2/'train_summary.json').read_text())['processes'] == 2


def test_resume_two_to_one(runs):
    "The checkpoint of the 2-process run after 8 steps, continued in 1 process, ends where the 1-process run does."
    from motion_vqvae.trainer import MVQVAEAgent
    run, tmp = runs['ema_reset'], runs['tmp']
    d = tmp/'resume_2to1'
    (d/'checkpoints').mkdir(parents=True)
    shutil.copy(Path(run['cfg']['out_dir'])/'checkpoints'/'ckpt_0000008.pt', d/'checkpoints'/'ckpt_0000008.pt')
    agent = MVQVAEAgent.resume(d, progress=False)
    assert agent.iteration == HALF and agent.dist.world_size == 1
    agent.fit()
    assert_close_states(run['agent'].model.state_dict(), agent.model.state_dict(), "resumed 2 -> 1 vs 1 process")
    assert_close_history(run['agent'].history, agent.history, "resumed 2 -> 1 vs 1 process")


def test_resume_one_to_two_cli(runs):
    "The 1-process checkpoint after 8 steps, continued by `torchrun ... motion-vqvae train --resume` on 2 processes."
    from motion_vqvae.config import AgentConfig
    from safetensors.torch import load_file
    run, tmp = runs['ema_reset'], runs['tmp']
    d = tmp/'resume_1to2'
    (d/'checkpoints').mkdir(parents=True)
    shutil.copy(Path(run['agent'].out_dir)/'checkpoints'/'ckpt_0000008.pt', d/'checkpoints'/'ckpt_0000008.pt')
    (tmp/'tiny.yaml').write_text(AgentConfig.from_dict(run['cfg']).yaml_text())
    exe = Path(sys.executable).parent/'motion-vqvae'                # the console script of this environment
    cli = ['--no-python', str(exe)] if exe.is_file() else ['-m', 'motion_vqvae.cli']
    out = torchrun([*cli, 'train', '--config', str(tmp/'tiny.yaml'), '--out', str(d), '--resume'], tmp)
    assert 'run directory' in out, out[-2000:]
    sd = load_file(d/'model.safetensors')
    assert_close_states(run['agent'].model.state_dict(), sd, "resumed 1 -> 2 (CLI) vs 1 process")
    hist = [json.loads(l) for l in (d/'metrics.jsonl').read_text().splitlines()]
    assert_close_history(run['agent'].history, hist, "resumed 1 -> 2 (CLI) vs 1 process")
    assert json.loads((d/'train_summary.json').read_text())['processes'] == 2
