"""Write this fixture: a tiny tokenizer trained deterministically, saved as a tokenizer directory and a trainer
checkpoint, the codes of the embedded G1 sample, and the history of the checkpoint resumed for 2 more iterations. Run once, with the code as it was before the trainer was split
(commit 5d73d40); the files it wrote are committed, and nbs/21_tokenizer.ipynb checks that the current code loads
both and gives the very same codes. Do not re-run it to make that test pass: a difference is a regression.

    OMP_NUM_THREADS=1 python tests/data/tokenizer_v1/make_fixture.py
"""
import json, shutil, tempfile
from pathlib import Path

import torch

from motion_vqvae.config import AgentConfig
from motion_vqvae.io import read_sample
from motion_vqvae.tokenizer import MotionTokenizer, save_codes
from motion_vqvae.trainer import MVQVAEAgent

HERE = Path(__file__).resolve().parent
# The whole config, written out (no recipe): body-part tokens over the G1 limbs, an FSQ grid, a short path.
CONFIG = dict(motion_file=None, val_clips=['clip_000', 'clip_002', 'clip_003'], window_size=32, window_stride=16,
              batch_size=32, augment_mirror=False, body_parts='auto', part_tokens=1, short_path=True, width=8,
              depth=1, output_emb_width=8, code_dim=3, quantizer='fsq', fsq_levels=[5, 4, 3], lr=2e-3,
              warm_up_iter=5, lr_scheduler=[1000], gamma=0.1, grad_clip=1.0, total_iter=30, eval_every=0,
              save_every=10, log_every=10, device='cpu', amp='off', seed=7)

if __name__ == '__main__':
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = AgentConfig.from_dict({**AgentConfig().to_dict(), **CONFIG, 'out_dir': str(Path(tmp)/'run')})
        agent = MVQVAEAgent(cfg, progress=False).setup()
        agent.fit()
        for p in (HERE/'tokenizer', HERE/'checkpoint.pt'):
            if p.is_dir(): shutil.rmtree(p)
            elif p.exists(): p.unlink()
        MotionTokenizer.load(Path(tmp)/'run').save(HERE/'tokenizer')
        shutil.copyfile(Path(tmp)/'run'/'checkpoints'/'latest.pt', HERE/'checkpoint.pt')
        # what resuming the checkpoint for 2 more iterations gives (history without wall times)
        shutil.copytree(Path(tmp)/'run'/'checkpoints', Path(tmp)/'again'/'checkpoints')
        again = MVQVAEAgent.resume(Path(tmp)/'again', progress=False, total_iter=32)
        again.fit()
        hist = [{k: v for k, v in r.items() if k != 'time'} for r in again.history]
        (HERE/'resumed_to_32.json').write_text(json.dumps(hist, indent=1) + '\n')
    tok = MotionTokenizer.load(HERE/'tokenizer')
    clips = [tok.encode_clip(m) for m in read_sample()]
    save_codes(HERE/'codes.npz', clips, overwrite=True, nb_code=tok.nb_code, downsample_factor=tok.downsample_factor)
    print(tok, '\n', [c.codes.shape for c in clips][:3], sum(c.n_tokens for c in clips), 'tokens')
