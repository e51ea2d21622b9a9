#!/usr/bin/env python
"""Check that the library is exactly what the notebooks export and that notebooks are clean.

Works on a scratch copy (nbs/, motion_vqvae/, settings.ini), so it never touches your files.
Exit 0 when in sync; otherwise prints the files that differ and how to fix it, and exits 1."""
import shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT/'scripts'))

def _tree(d: Path) -> dict:
    return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob('*'))
            if p.is_file() and '__pycache__' not in p.parts and '.ipynb_checkpoints' not in p.parts}

def check() -> list:
    "Return a list of human-readable problems (empty when in sync)."
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in ('nbs', 'motion_vqvae'): shutil.copytree(ROOT/name, tmp/name, symlinks=True)
        shutil.copy2(ROOT/'settings.ini', tmp/'settings.ini')
        for cmd in (['nbdev_export'], ['nbdev_clean']):
            r = subprocess.run([str(BIN/cmd[0])] + cmd[1:], cwd=tmp, capture_output=True, text=True)
            if r.returncode: problems.append(f"{cmd[0]} failed:\n{r.stdout}{r.stderr}")
        for name, fix in (('motion_vqvae', 'run `nbdev_export` (never edit motion_vqvae/ by hand)'),
                          ('nbs', 'run `nbdev_clean`')):
            before, after = _tree(ROOT/name), _tree(tmp/name)
            for rel in sorted(set(before) | set(after)):
                if before.get(rel) != after.get(rel):
                    state = 'missing' if rel not in before else 'stale' if rel in after else 'not exported by any notebook'
                    problems.append(f"{name}/{rel}: {state}; {fix}")
    import make_readme
    if not (ROOT/'README.md').exists() or (ROOT/'README.md').read_text(encoding='utf-8') != make_readme.render():
        problems.append('README.md: out of step with nbs/index.ipynb; run `python scripts/make_readme.py`')
    if (ROOT/'README.md').exists():
        for f in make_readme.local_images((ROOT/'README.md').read_text(encoding='utf-8')):
            if not (ROOT/f).is_file():
                problems.append(f"README.md: image {f} does not exist (paths are relative to the repository root; "
                                "nbs/index.ipynb links images/X for nbs/images/X)")
    return problems

if __name__ == '__main__':
    probs = check()
    for p in probs: print(p)
    print('library and notebooks in sync, notebooks clean' if not probs else f'{len(probs)} sync problem(s)')
    sys.exit(1 if probs else 0)
