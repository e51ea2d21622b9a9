#!/usr/bin/env python
"""Build the documentation site into `_docs/` (nbdev's doc_path) from the notebooks, offline, without Quarto.

`make docs` runs this. Quarto (which `nbdev_docs` needs) cannot be installed here, so the site is built with
MkDocs + Material from nbdev's own processed notebooks:

1. **Execute** every notebook in nbs/ (index first, then by number) with nbdev's kernel (`execnb.CaptureShell`),
   cwd = nbs/, like `nbdev_test`: cells flagged `#| slow` (settings.ini `tst_flags`) or `#| eval: false` are shown
   but not run. Notebooks run in parallel (one process per core) and each executed notebook is cached in
   `_docs_cache/exec/` under a key (notebook + library + this script), so a rebuild only re-runs what changed.
   Before running, nbdev's `add_show_docs` adds the `show_doc` cells nbdev would add; during the run `show_doc`
   renders signature + docstring + a parameter table (`DocsRenderer`).
2. **Process** them with nbdev's processors (`nbdev.processors`, as `nbdev_proc_nbs` does for Quarto): front
   matter, `#| hide` cells dropped, `hide_line`, `filter_stream`, magics, doc links (`add_links`, made relative),
   `show_doc` cells reduced to their output. Unlike nbdev's default, `#| export` source is shown, in an
   "Exported source" box.
3. **Convert** each to Markdown (code highlighted by Pygments at build time, outputs kept: text, HTML, images,
   plotly figures, markdown) and build with MkDocs. Math (`$...$`) becomes MathML at build time (latex2mathml);
   plotly.js comes from the installed `plotly` package; search is MkDocs' local index; no fonts are fetched.
   Nothing on the site loads anything from the network.

Images that notebooks link from their Markdown as `images/X` live in `nbs/images/` and are copied beside the
pages (README.md links the same files as `nbs/images/X`; scripts/make_readme.py rewrites the paths).

The nav is generated: Overview (index.ipynb), then every notebook in number order under its title; 02_io's page
is listed as "Data formats". A new notebook (say 50_tutorial.ipynb) appears by itself.

Usage: `python scripts/build_docs.py [--force] [--jobs N] [--check]`. `--check` exits 0 when `_docs/` is
up to date with the sources, 1 otherwise. The stamp `_docs/.build.json` records the inputs' hash and the timing.
"""
from __future__ import annotations
import argparse, base64, contextlib, hashlib, html, inspect, io, json, os, re, shutil, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import multiprocessing as mp

import nbdev.showdoc as sd
from nbdev.doclinks import NbdevLookup

ROOT = Path(__file__).resolve().parent.parent
NBS, SITE = ROOT/'nbs', ROOT/'_docs'
WORK = ROOT/'_docs_cache'      # executed notebooks + generated Markdown (not nbdev's _proc/, which nbdev wipes)
STAMP = SITE/'.build.json'
NAV_LABELS = {'io': 'Data formats'}          # page name -> nav label where it differs from the notebook title
SKIP_FLAGS = ('slow',)                        # settings.ini tst_flags: shown, never executed by the docs build

# ----------------------------------------------------------------------------------------------- inputs
def notebooks() -> list[Path]:
    "The notebooks that become pages: index first, then by file name (= number order)."
    nbs = [p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.'))]
    return sorted(nbs, key=lambda p: ('' if p.stem == 'index' else p.name))

def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts: h.update(hashlib.sha256(p).digest())
    return h.hexdigest()

def _lib_key() -> str:
    "Hash of what every notebook's outputs depend on besides itself: the library, settings, this script."
    files = sorted((ROOT/'motion_vqvae').rglob('*.py')) + [ROOT/'settings.ini', Path(__file__).resolve()]
    return _sha(*(str(f.relative_to(ROOT)).encode() + f.read_bytes() for f in files if '__pycache__' not in f.parts))

def inputs_hash() -> str:
    "Hash of everything the site is built from (notebooks and other files in nbs/, library, settings, this script)."
    files = sorted(p for p in NBS.rglob('*') if p.is_file() and '.ipynb_checkpoints' not in p.parts
                   and '__pycache__' not in p.parts)
    return _sha(_lib_key().encode(), *(str(f.relative_to(ROOT)).encode() + f.read_bytes() for f in files))

def is_fresh() -> bool:
    "Is `_docs/` a complete build of the current sources?"
    try: return json.loads(STAMP.read_text())['inputs'] == inputs_hash()
    except (OSError, ValueError, KeyError): return False

def page_name(nb: Path) -> str:
    "Output page name as Quarto/nbdev name it (numeric prefix dropped): 02_io.ipynb -> io, 00a_x -> x."
    return 'index' if nb.stem == 'index' else re.sub(r'^\d+[a-z]?_', '', nb.stem)

# ----------------------------------------------------------------------------------- show_doc renderer
def _cell(s) -> str:
    "Text for a Markdown table cell."
    return html.escape(str(s)).replace('|', '&#124;').replace('\n', ' ')

def _type_text(a) -> str:
    "An annotation as the docs show it: its name, else its text."
    return a.__name__ if hasattr(a, '__name__') else str(a)

def _default_text(d) -> str:
    "A default value as the docs show it: its name (functions, classes), else its repr."
    return d.__name__ if hasattr(d, '__name__') else repr(d)

_EMPTY = inspect.Parameter.empty

class DocsRenderer(sd.BasicMarkdownRenderer):
    "`show_doc` for the docs site: heading with nbdev's anchor, signature, docstring, parameter table."
    def _sig(self) -> str:
        dm = self.dm.dm if callable(self.sym) else {}
        star = {inspect.Parameter.VAR_POSITIONAL: '*', inspect.Parameter.VAR_KEYWORD: '**'}
        ps = []
        for k, v in dm.items():
            if k == 'return': continue
            a, d = v.get('anno', _EMPTY), v.get('default', _EMPTY)
            ps.append(star.get(v.get('kind'), '') + k + (f': {_type_text(a)}' if a is not _EMPTY else '')
                      + (f' = {_default_text(d)}' if d is not _EMPTY else ''))
        ret = dm.get('return', {}).get('anno', _EMPTY)
        ret = f' -> {_type_text(ret)}' if ret is not _EMPTY and not inspect.isclass(self.sym) else ''
        kw = ('class' if inspect.isclass(self.sym) else 'async def' if inspect.iscoroutinefunction(self.sym)
              else 'def')
        name = self.nm.split('.')[-1]
        one = f'{kw} {name}({", ".join(ps)}){ret}'
        if len(one) <= 90 or not ps: return one
        return f'{kw} {name}(\n' + ''.join(f'    {p},\n' for p in ps) + f'){ret}'

    def _table(self) -> str:
        if not callable(self.sym): return ''
        rows = []
        for k, v in self.dm.dm.items():
            a, d, doc = v.get('anno', _EMPTY), v.get('default', _EMPTY), v.get('docment') or ''
            if a is _EMPTY and d is _EMPTY and not doc: continue        # nothing to say (e.g. bare *args)
            if k == 'return':
                if a is _EMPTY and not doc or inspect.isclass(self.sym): continue
                k = '**Returns**'
            else: k = f'`{k}`'
            rows.append(f"| {k} | {'' if a is _EMPTY else '<code>' + _cell(_type_text(a)) + '</code>'} | "
                        f"{'' if d is _EMPTY else '<code>' + _cell(_default_text(d)) + '</code>'} | {_cell(doc)} |")
        if not [r for r in rows if not r.startswith('| **Returns**')]: return ''
        return '|  | **Type** | **Default** | **Details** |\n| -- | -- | -- | -- |\n' + '\n'.join(rows)

    def _repr_markdown_(self):
        h = '#' * self.title_level
        md = f'---\n\n{h} {self.nm} {{ id="{self.nm.lower()}" .doc-sym }}\n\n'
        src = NbdevLookup().code(self.fn)
        if src: md += f'<p class="doc-source"><a href="{html.escape(src)}">source</a></p>\n\n'
        md += '```python\n' + self._sig() + '\n```\n\n'
        if self.docs: md += self.docs.strip() + '\n\n'
        tbl = self._table()
        if tbl: md += tbl + '\n'
        return md

def install_docs_renderer():
    """Make `show_doc` render with `DocsRenderer` (nbdev 2.4.14 with fastcore 1.14 folds the parameter docs into
    the signature as comments) through nbdev's own `renderer` setting, set in memory: settings.ini and the
    notebooks are untouched. Called in the docs kernel only."""
    from nbdev.config import get_config
    get_config()['renderer'] = f'{__name__}.DocsRenderer'    # show_doc imports it from there at each call

# ---------------------------------------------------------------------------------------------- execute
def _no_eval(cell) -> bool:
    if cell.cell_type != 'code': return True
    if 'nbdev_export' + '(' in cell.source: return True
    d = getattr(cell, 'directives_', {}) or {}
    if d.get('eval:', [''])[0].lower() == 'false': return True
    return bool(set(SKIP_FLAGS) & d.keys())

def execute_nb(src: str, dst: str, threads: int = 1) -> tuple[str, float]:
    "Run notebook `src` (cwd nbs/) the way nbdev_test does and save it with its outputs to `dst`."
    t0 = time.time()
    src, dst = Path(src), Path(dst)
    os.environ.update(IN_TEST='1', PLOTLY_RENDERER='plotly_mimetype', MPLBACKEND='agg')
    os.environ.setdefault('OMP_NUM_THREADS', str(threads))      # workers share the cores instead of oversubscribing
    for p in (str(ROOT), str(ROOT/'scripts')):
        if p not in sys.path: sys.path.insert(0, p)
    os.environ['PYTHONPATH'] = os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    from execnb.shell import CaptureShell
    from execnb.nbio import write_nb
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.processors import populate_language, add_show_docs
    # rm_directives=False: the saved notebook keeps its `#|` lines for the processing step
    nb = NBProcessor(src, procs=[FrontmatterProc, populate_language, add_show_docs], process=True,
                     rm_directives=False).nb
    os.chdir(src.parent)
    k = CaptureShell(src)
    k.run_cell('import build_docs; build_docs.install_docs_renderer(); del build_docs')
    if k.exc: raise RuntimeError(f'{src.name}: could not install the docs show_doc renderer: {k.exc!r}')
    err = None
    try: k.run_all(nb, exc_stop=True, preproc=_no_eval)
    except Exception: err = f'{src.name} failed while executing it for the docs:\n{k.prettytb(fname=src)}'
    for c in nb.cells:                      # drop the processors' bookkeeping before saving
        for a in [a for a in c if a.endswith('_')]: c.pop(a, None)
        if getattr(c, 'has_sd', False): c.pop('has_sd')
    write_nb(nb, dst)                       # also when it failed: --keep-going shows the error on the page
    if err: raise RuntimeError(err)
    return src.name, time.time() - t0

def execute_all(nbs: list[Path], jobs: int, force: bool = False, keep_going: bool = False) -> tuple[dict, list]:
    """Execute the notebooks whose cached run is stale, `jobs` at a time. Returns ({name: seconds or 'cached'},
    [errors]); raises SystemExit on the first failures unless `keep_going`."""
    ex = WORK/'exec'; ex.mkdir(parents=True, exist_ok=True)
    lib, todo, times, errors = _lib_key(), [], {}, []
    for nb in nbs:
        key = _sha(lib.encode(), nb.read_bytes())
        if not force and (ex/f'{nb.stem}.key').exists() and (ex/f'{nb.stem}.key').read_text() == key \
                and (ex/nb.name).exists(): times[nb.name] = 'cached'
        else: todo.append((nb, key))
    if todo:
        # longest first (last run's time, else file size) so that the workers finish together
        def _cost(t):
            f = ex/f'{t[0].stem}.secs'
            return float(f.read_text()) if f.exists() else t[0].stat().st_size / 1e4
        todo.sort(key=_cost, reverse=True)
        threads = max(1, (os.cpu_count() or 1) // max(1, min(jobs, len(todo))))
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))), mp_context=mp.get_context('spawn')) as pool:
            futs = {pool.submit(execute_nb, str(nb), str(ex/nb.name), threads): (nb, key) for nb, key in todo}
            for f, (nb, key) in futs.items():
                try:
                    name, dt = f.result(); times[name] = round(dt, 1)
                    (ex/f'{nb.stem}.key').write_text(key); (ex/f'{nb.stem}.secs').write_text(f'{dt:.1f}')
                except Exception as e: errors.append(str(e)); times[nb.name] = 'FAILED'
    if errors and not keep_going: raise SystemExit('docs build failed:\n' + '\n\n'.join(errors))
    return times, errors

# ---------------------------------------------------------------------------------------------- process
def process_nb(path: Path):
    "nbdev's docs processors (as nbdev_proc_nbs runs them for Quarto), minus execution, plus shown exports."
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    from nbdev import processors as P

    def rm_directive_cells(cell):
        "Drop cells that only carry `default_exp` (nbdev's rm_export also hides `export` cells; we show them)."
        if 'default_exp' in (cell.directives_ or {}) and not _split_directives(cell.source)[1].strip():
            del cell['source']

    def fold_exports(cell):
        "Mark exported source to be shown in an 'Exported source' box."
        if cell.cell_type == 'code' and (cell.directives_ or {}).keys() & {'export', 'exports', 'exporti'}:
            cell.source = '#| code-fold: show\n#| code-summary: "Exported source"\n' + cell.source

    procs = [FrontmatterProc, P.populate_language, P.strip_ansi, P.hide_line, P.filter_stream_, P.rm_header_dash,
             P.clean_show_doc, rm_directive_cells, P.ai_magics, P.clean_magics, P.hide_, P.add_links,
             fold_exports, P.mv_exports, P.strip_hidden_metadata]
    return NBProcessor(path, procs=procs, process=True).nb

# ---------------------------------------------------------------------------------------------- convert
_re_dir = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_re_list = re.compile(r'^\s*(?:[-*+]|\d+[.)])\s+\S')

def _split_directives(src: str) -> tuple[dict, str]:
    "Quarto/nbdev `#|` lines -> dict, and the source without them."
    d, keep = {}, []
    for line in src.splitlines():
        m = _re_dir.match(line)
        if m: d[m.group(1)] = m.group(2).strip('"\'')
        else: keep.append(line)
    return d, '\n'.join(keep).strip('\n')

def _fix_markdown(md: str, doc_url: str) -> str:
    "CommonMark habits Python-Markdown does not share; nbdev's absolute doc links made relative."
    md = md.replace(doc_url, '')              # nbdev's doc links point at the published site; MkDocs wants X.md
    md = re.sub(r'\]\((?:\./)?(\d+[a-z]?_)?([\w-]+)\.(?:ipynb|html)(#[^)\s]*)?\)',
                lambda m: f"]({m.group(2)}.md{m.group(3) or ''})", md)
    out, fence, prev = [], None, ''
    for line in md.split('\n'):
        s = line.lstrip()
        if s.startswith(('```', '~~~')):
            tick = s[:3]
            if fence is None: fence = tick
            elif fence == tick: fence = None
        elif fence is None and _re_list.match(line) and prev.strip() and not _re_list.match(prev) \
                and not prev.startswith((' ', '\t')):
            out.append('')                              # a list right after a paragraph line needs a blank line
        out.append(line); prev = line
    return '\n'.join(out)

def _indent(s: str, n: int = 4) -> str:
    return '\n'.join((' ' * n + l) if l.strip() else '' for l in s.split('\n'))

def _text(x) -> str: return ''.join(x) if isinstance(x, list) else str(x)

def description(nb_path: Path) -> str:
    "The `> ...` summary under the notebook's `# Title`, all its lines (nbdev's front matter keeps only the first)."
    for c in json.loads(nb_path.read_text(encoding='utf-8'))['cells']:
        if c['cell_type'] != 'markdown': continue
        src = _text(c['source'])
        if re.search(r'^#\s+\S', src, re.M):
            lines = src.split('\n')
            i = next((k for k, l in enumerate(lines) if l.startswith('>')), None)
            if i is None: return ''
            out = []
            for l in lines[i:]:
                if not l.startswith('>'): break
                out.append(l[1:].strip())
            return ' '.join(out).strip()
        return ''
    return ''

class Page:
    "One notebook as a Markdown page (outputs included); images go to `figures/`."
    def __init__(self, nb, name: str, md_dir: Path, doc_url: str, desc: str | None = None):
        self.nb, self.name, self.md_dir, self.doc_url = nb, name, md_dir, doc_url
        self.n_fig, self.n_plotly = 0, 0
        fm = getattr(nb, 'frontmatter_', {}) or {}
        self.title = fm.get('title') or name
        self.description = desc if desc is not None else fm.get('description', '')

    def _figure(self, data: str, ext: str, meta: dict) -> str:
        self.n_fig += 1
        fn = f'figures/{self.name}_{self.n_fig}.{ext}'
        (self.md_dir/fn).parent.mkdir(parents=True, exist_ok=True)
        (self.md_dir/fn).write_bytes(data.encode() if ext == 'svg' else base64.b64decode(data))
        w = (meta or {}).get('width')
        wa = f' width="{int(w)}"' if isinstance(w, (int, float)) else ''
        return f'<div class="nb-output nb-figure"><img src="{fn}" alt="figure {self.n_fig}"{wa}></div>'

    def _output(self, o) -> str:
        t = o.get('output_type')
        if t == 'stream':
            cls = 'nb-stderr' if o.get('name') == 'stderr' else 'nb-stdout'
            txt = _text(o.get('text', '')).rstrip('\n')
            return f'<pre class="nb-output {cls}"><code>{html.escape(txt)}</code></pre>' if txt.strip() else ''
        if t == 'error':
            tb = html.escape(chr(10).join(o.get("traceback", [])))
            return f'<pre class="nb-output nb-error"><code>{tb}</code></pre>'
        data, meta = o.get('data', {}), o.get('metadata', {})
        if 'application/vnd.plotly.v1+json' in data:
            self.n_plotly += 1
            fig = data['application/vnd.plotly.v1+json']
            js = json.dumps(fig if isinstance(fig, dict) else json.loads(_text(fig))).replace('</', '<\\/')
            i = f'plotly-{self.name}-{self.n_plotly}'
            return (f'<div class="nb-output nb-plotly" id="{i}"></div>\n'
                    f'<script type="application/json" class="nb-plotly-data" data-target="{i}">{js}</script>')
        if 'text/html' in data: return f'<div class="nb-output nb-html">\n{_text(data["text/html"]).strip()}\n</div>'
        for mime, ext in (('image/svg+xml', 'svg'), ('image/png', 'png'), ('image/jpeg', 'jpg'), ('image/gif', 'gif')):
            if mime in data: return self._figure(_text(data[mime]), ext, meta.get(mime, meta))
        if 'text/markdown' in data: return _fix_markdown(_text(data['text/markdown']).strip(), self.doc_url)
        if 'text/latex' in data: return _text(data['text/latex']).strip()
        if 'text/plain' in data:
            txt = html.escape(_text(data["text/plain"]).rstrip())
            return f'<pre class="nb-output nb-result"><code>{txt}</code></pre>'
        return ''

    def _code_cell(self, c) -> str:
        d, src = _split_directives(c.source)
        if d.get('include', '').lower() == 'false': return ''
        parts = []
        if src and d.get('echo', '').lower() != 'false':
            block = f'```python\n{src}\n```'
            if 'code-fold' in d or 'code-summary' in d:
                opn = '+' if d.get('code-fold', 'show') in ('show', 'false') else ''
                block = f'???{opn} source "{d.get("code-summary", "Code")}"\n\n{_indent(block)}'
            parts.append(block)
        if _no_eval(c) and not c.get('outputs'):
            if set(SKIP_FLAGS) & set(c.get('directives_', {}) or {}) and src:
                parts.append('<p class="nb-note">Not run in the docs build (marked <code>#| slow</code>).</p>')
        if d.get('output', '').lower() != 'false':
            parts += [x for x in map(self._output, c.get('outputs', [])) if x]
        return '\n\n'.join(parts)

    def markdown(self) -> str:
        out = [f'# {self.title}']
        if self.description: out.append(_fix_markdown(self.description, self.doc_url) + '\n{ .nb-description }')
        for c in self.nb.cells:
            if c.cell_type == 'markdown': out.append(_fix_markdown(c.source.strip(), self.doc_url))
            elif c.cell_type == 'code': out.append(self._code_cell(c))
        body = '\n\n'.join(x for x in out if x and x.strip())
        if self.n_plotly:
            body += ('\n\n<script src="assets/js/plotly.min.js"></script>'
                     '\n<script src="assets/js/nb-plotly.js"></script>')
        return body + '\n'

# ---------------------------------------------------------------------------------------------- assets
CSS = """
.md-typeset .nb-description { font-size: 1.1em; color: var(--md-default-fg-color--light); margin-top: -0.6em; }
.md-typeset pre.nb-output { margin: 0.2em 0 1em; }
.md-typeset pre.nb-output > code { background: var(--md-default-bg-color);
  border-left: 3px solid var(--md-default-fg-color--lightest); white-space: pre; font-size: .8em; }
.md-typeset pre.nb-stderr > code { border-left-color: #e0a030; }
.md-typeset .nb-figure img { max-width: 100%; height: auto; }
.md-typeset .nb-html { overflow-x: auto; margin: .2em 0 1em; font-size: .8em; }
.md-typeset .nb-plotly { width: 100%; min-height: 420px; margin: .2em 0 1em; }
.md-typeset .nb-note { font-size: .75em; color: var(--md-default-fg-color--light); }
.md-typeset h3.doc-sym, .md-typeset h4.doc-sym { font-family: var(--md-code-font-family); margin-top: .4em; }
.md-typeset .doc-source { float: right; font-size: .75em; margin: -2.6em 0 0; }
.md-typeset details.source { margin: .6em 0; }
.md-typeset table:not([class]) td:first-child code { white-space: nowrap; }
.md-typeset math[display="block"] { margin: .8em 0; }
"""

PLOTLY_JS = """// draws the plotly figures embedded in a page (data in <script type="application/json">),
// with the local plotly.js
document.querySelectorAll('script.nb-plotly-data').forEach(function (s) {
  var fig = JSON.parse(s.textContent), el = document.getElementById(s.dataset.target);
  Plotly.newPlot(el, fig.data || [], fig.layout || {},
                 Object.assign({responsive: true, displaylogo: false}, fig.config || {}));
});
"""

def mkdocs_config(md_dir: Path, nav: list, title: str, description: str) -> dict:
    return {
        'site_name': title, 'site_description': description, 'docs_dir': str(md_dir), 'site_dir': str(SITE),
        'use_directory_urls': False,         # io.html, as nbdev/Quarto name pages (doc links in _modidx use them)
        'nav': nav, 'strict': False,
        'theme': {'name': 'material', 'font': False, 'language': 'en',
                  'features': ['navigation.top', 'navigation.tracking', 'toc.follow', 'search.highlight',
                               'content.code.copy'],
                  'palette': {'scheme': 'default', 'primary': 'indigo', 'accent': 'indigo'}},
        'plugins': ['search'],
        'hooks': [str(Path(__file__).resolve())],
        'extra_css': ['assets/css/nb.css'],
        'markdown_extensions': [
            'tables', 'attr_list', 'md_in_html', 'admonition', 'pymdownx.details', 'def_list',
            {'toc': {'permalink': True, 'toc_depth': 3}},
            {'pymdownx.highlight': {'use_pygments': True, 'anchor_linenums': False}},
            'pymdownx.superfences', 'pymdownx.inlinehilite',
            {'pymdownx.arithmatex': {'generic': True}},
        ],
        'extra': {'generator': False},
    }

# --------------------------------------------------------------------------------- mkdocs hook: math
_re_math = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)

def _mathml(m) -> str:
    import latex2mathml.converter as lm
    tag, tex = m.group(1), html.unescape(m.group(2)).strip()
    for a, b in (('\\(', '\\)'), ('\\[', '\\]'), ('$$', '$$'), ('$', '$')):
        if tex.startswith(a) and tex.endswith(b): tex = tex[len(a):len(tex) - len(b)]; break
    try: return lm.convert(tex.strip(), display='block' if tag == 'div' else 'inline')
    except Exception as e: raise ValueError(f'math that latex2mathml cannot convert: {tex!r}: {e}') from e

def on_page_content(html_text, **kw):
    "MkDocs hook: LaTeX (found by pymdownx.arithmatex) -> MathML, so no MathJax is needed."
    return _re_math.sub(_mathml, html_text)

# ---------------------------------------------------------------------------------------------- build
def build(force: bool = False, jobs: int | None = None, quiet: bool = False, skip: tuple = (),
          keep_going: bool = False) -> dict:
    t0 = time.time()
    sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'scripts'))
    os.chdir(ROOT)
    from nbdev.config import get_config
    cfg = get_config(str(ROOT/'settings.ini'))
    doc_url = cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/'
    refresh_quarto_files()
    nbs = [nb for nb in notebooks() if nb.stem not in skip]
    jobs = jobs or max(1, os.cpu_count() or 1)
    times, errors = execute_all(nbs, jobs, force, keep_going)
    t_exec = time.time() - t0
    md_dir = WORK/'md'
    if md_dir.exists(): shutil.rmtree(md_dir)
    (md_dir/'assets'/'css').mkdir(parents=True)
    (md_dir/'assets'/'css'/'nb.css').write_text(CSS)
    if (NBS/'images').is_dir():             # images the notebooks' Markdown links as images/X (MkDocs copies them)
        shutil.copytree(NBS/'images', md_dir/'images')
    nav, pages, plotly = [], [], False
    for nb in nbs:
        name = page_name(nb)
        if not (WORK/'exec'/nb.name).exists():
            raise SystemExit(f'docs build: {WORK/"exec"/nb.name} vanished during the build')
        page = Page(process_nb(WORK/'exec'/nb.name), name, md_dir, doc_url, description(nb))
        (md_dir/f'{name}.md').write_text(page.markdown(), encoding='utf-8')
        plotly |= page.n_plotly > 0
        label = 'Overview' if name == 'index' else NAV_LABELS.get(name, page.title)
        nav.append({label: f'{name}.md'}); pages.append(f'{name}.html')
    if plotly:
        import plotly as _pl
        js = md_dir/'assets'/'js'; js.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(_pl.__file__).parent/'package_data'/'plotly.min.js', js/'plotly.min.js')
        (js/'nb-plotly.js').write_text(PLOTLY_JS)
    from mkdocs.config import load_config
    from mkdocs.commands.build import build as mk_build
    import yaml, logging
    cfg_file = WORK/'mkdocs.yml'
    cfg_file.write_text(yaml.safe_dump(mkdocs_config(md_dir, nav, cfg.title, cfg.description), sort_keys=False))
    if quiet: logging.getLogger('mkdocs').setLevel(logging.WARNING)
    if SITE.exists(): shutil.rmtree(SITE)
    mk_build(load_config(str(cfg_file)))
    info = {'inputs': inputs_hash() + ('+partial' if skip or errors else ''), 'errors': errors, 'pages': pages,
            'exec_seconds': times,
            'wall_seconds': round(time.time() - t0, 1), 'exec_wall_seconds': round(t_exec, 1), 'jobs': jobs}
    STAMP.write_text(json.dumps(info, indent=1))
    return info

def refresh_quarto_files():
    """Keep nbdev's Quarto config in step, as `nbdev_docs` would (settings.ini custom_sidebar = False):
    nbs/nbdev.yml (and _quarto.yml when missing) from settings.ini, nbs/sidebar.yml from the notebooks."""
    from nbdev.config import get_config
    from nbdev.quarto import nbdev_sidebar, refresh_quarto_yml
    names = ('nbdev.yml', '_quarto.yml', 'sidebar.yml')
    before = {fn: (NBS/fn).read_text() if (NBS/fn).exists() else None for fn in names}
    refresh_quarto_yml()                                   # rewrites nbdev.yml; writes _quarto.yml if missing
    if not str2bool_(get_config(str(ROOT/'settings.ini')).get('custom_sidebar', 'False')):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf): nbdev_sidebar(path=str(NBS), printit=True, force=True)
        text = buf.getvalue().rstrip('\n') + '\n'
        if before['sidebar.yml'] != text: (NBS/'sidebar.yml').write_text(text)
    for fn in names:
        if (NBS/fn).exists() and (NBS/fn).read_text() != before[fn]: print(f'updated nbs/{fn}')

def str2bool_(s) -> bool: return str(s).strip().lower() in ('1', 'true', 'yes', 'y', 'on')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--force', action='store_true', help='re-execute every notebook (ignore the cache)')
    ap.add_argument('--jobs', type=int, default=None, help='notebooks executed at once (default: CPU count)')
    ap.add_argument('--check', action='store_true', help='exit 0 if _docs/ is up to date, else 1')
    ap.add_argument('--keep-going', action='store_true', help='build the site even if notebooks fail (exit 1)')
    ap.add_argument('--skip', action='append', default=[], help='leave notebook STEM out (for quick local iterations)')
    a = ap.parse_args(argv)
    if a.check:
        ok = is_fresh(); print('_docs/ is up to date' if ok else '_docs/ is stale or missing: run `make docs`')
        return 0 if ok else 1
    info = build(force=a.force, jobs=a.jobs, quiet=True, skip=tuple(a.skip), keep_going=a.keep_going)
    print(f"built {len(info['pages'])} pages into {SITE.relative_to(ROOT)}/ in {info['wall_seconds']} s "
          f"(executing notebooks: {info['exec_wall_seconds']} s with {info['jobs']} workers)")
    for k, v in info['exec_seconds'].items(): print(f'  {k}: {v}' + ('' if isinstance(v, str) else ' s'))
    for e in info['errors']: print(e, file=sys.stderr)
    return 1 if info['errors'] else 0

if __name__ == '__main__':
    # run as the importable module `build_docs` so that worker processes (spawned) can find `execute_nb`
    sys.path.insert(0, str(ROOT/'scripts'))
    import build_docs
    sys.exit(build_docs.main())
