#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which is not available here).

Markdown cells are copied; code cells become ```python blocks; cells with `#| hide`, `#| export`
or `#| default_exp` are left out. Image paths relative to nbs/ (`](images/...)`, `src="images/..."`) are rewritten
to `nbs/images/...`, since README.md sits at the repository root (the docs site copies nbs/images/ beside its
pages, so the notebook keeps `images/...`). `--check` exits 1 when README.md is out of step."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = ('#| hide', '#|hide', '#| export', '#|export', '#| default_exp', '#| slow', '#| eval: false')
_IMAGES = re.compile(r"""(\]\(\s*|src=["'])(?:\./)?images/""")

def readme_paths(md: str) -> str:
    "Markdown of a notebook in nbs/ with its `images/` links made relative to the repository root."
    return _IMAGES.sub(r'\1nbs/images/', md)

def local_images(md: str) -> list:
    "Paths of the local images a Markdown text links (`![..](path)`, `<img src=...>`), URLs and fenced code left out."
    md = re.sub(r'^(```|~~~).*?^\1[^\n]*$', '', md, flags=re.M | re.S)
    found = re.findall(r"""!\[[^\]]*\]\(\s*([^)\s]+)""", md) + re.findall(r"""<img[^>]*\ssrc=["']([^"']+)""", md)
    return [f for f in found if not re.match(r'^[a-z][a-z0-9+.-]*:', f, re.I)]

def render(nb_path: Path = ROOT/'nbs'/'index.ipynb') -> str:
    cells = json.loads(nb_path.read_text(encoding='utf-8'))['cells']
    out = []
    for c in cells:
        src = ''.join(c['source']).strip('\n')
        if not src: continue
        if c['cell_type'] == 'markdown': out.append(readme_paths(src))
        elif c['cell_type'] == 'code':
            lines = src.splitlines()
            if any(l.strip().startswith(SKIP) for l in lines if l.strip().startswith('#|')): continue
            lines = [l for l in lines if not l.strip().startswith('#|')]
            if lines: out.append('```python\n' + '\n'.join(lines) + '\n```')
    return '<!-- generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook -->\n\n' + '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text(encoding='utf-8') == text
        print('README.md in step with nbs/index.ipynb' if ok else 'README.md differs from nbs/index.ipynb: run `python scripts/make_readme.py`')
        sys.exit(0 if ok else 1)
    readme.write_text(text, encoding='utf-8')
    print(f'wrote {readme}')
