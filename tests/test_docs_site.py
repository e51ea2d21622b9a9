"""The documentation site in a real browser: every page of `_docs/` opened in headless Chromium (Playwright).

Builds the site first unless `_docs/` is a fresh build of the current sources (`scripts/build_docs.py --check`),
serves it on 127.0.0.1, and for each page fails on console errors, page errors, failed or >= 400 requests and
any request to another host; checks that images loaded, that plotly figures drew, that API docs and highlighted
code are there. A screenshot of each page goes to `_docs_screens/`.

Needs Python Playwright and Debian's Chromium (`make browser-deps`); without them these tests FAIL, they do
not skip. `MVQ_CHROMIUM` overrides the browser path (default /usr/bin/chromium); `MVQ_DOCS_REUSE=1` tests
whatever `_docs/` holds without rebuilding it."""
import functools, http.server, json, os, re, subprocess, sys, threading
from pathlib import Path
from urllib.parse import urlparse
import pytest
import build_docs

ROOT = Path(__file__).resolve().parent.parent
SITE, SCREENS = build_docs.SITE, ROOT/'_docs_screens'
CHROMIUM = os.environ.get('MVQ_CHROMIUM', '/usr/bin/chromium')
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
        '--no-first-run', '--disable-component-update', '--disable-sync']
NBS = build_docs.notebooks()
PAGES = [build_docs.page_name(nb) for nb in NBS]
INSTALL = 'install them with `make browser-deps` (apt-get install -y chromium; pip install playwright)'

@pytest.fixture(scope='module')
def site():
    "URL of the freshly built site, served from _docs/ on a free port of 127.0.0.1."
    if os.environ.get('MVQ_DOCS_REUSE') != '1' and not build_docs.is_fresh():
        r = subprocess.run([sys.executable, str(ROOT/'scripts'/'build_docs.py')], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, f'docs build failed:\n{r.stdout}\n{r.stderr}'
        print(r.stdout)
    assert build_docs.STAMP.exists(), '_docs/ was not built'

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(SITE)))
    t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/'
    srv.shutdown(); srv.server_close()

@pytest.fixture(scope='module')
def browser():
    try: from playwright.sync_api import sync_playwright
    except ImportError: pytest.fail(f'Python Playwright is not installed: {INSTALL}', pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f'Chromium not found at {CHROMIUM}: {INSTALL}', pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()

def _open(browser, url: str):
    "Open `url`; return (page, problems) with every console error, page error, failed or foreign request."
    problems = []
    ctx = browser.new_context(viewport={'width': 1280, 'height': 900}, service_workers='block')
    page = ctx.new_page()
    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(('data:', 'blob:')) or host == '127.0.0.1': return r.continue_()
        problems.append(f'request to another host: {r.request.url}'); r.abort()
    page.route('**/*', route)
    page.on('console', lambda m: m.type == 'error' and problems.append(f'console error: {m.text} ({m.location})'))
    page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
    page.on('requestfailed', lambda r: problems.append(f'request failed: {r.url} ({r.failure})'))
    page.on('response', lambda r: r.status >= 400 and problems.append(f'HTTP {r.status}: {r.url}'))
    page.goto(url, wait_until='load')
    page.wait_for_load_state('networkidle')
    return page, problems

@pytest.mark.parametrize('name', PAGES, ids=PAGES)
def test_page(site, browser, name):
    page, problems = _open(browser, f'{site}{name}.html')
    try:
        assert page.locator('h1').count() >= 1, 'no title'
        imgs = page.evaluate("""() => Array.from(document.images).map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}))""")
        problems += [f"image did not load: {i['src']}" for i in imgs if not i['ok']]
        plots = page.locator('div.nb-plotly')
        if plots.count():
            page.wait_for_function("""() => Array.from(document.querySelectorAll('div.nb-plotly'))
                                          .every(d => d.querySelector('svg.main-svg'))""", timeout=30000)
        assert not page.locator('.arithmatex').count(), 'math left unconverted (no MathML)'
        text = page.inner_text('article')
        assert '\\(' not in text and '$$' not in text, 'raw LaTeX on the page'
        nb = NBS[PAGES.index(name)]
        src = nb.read_text(encoding='utf-8')
        if '#| default_exp' in src:                      # a library module: its exported code, highlighted
            assert page.locator('article .highlight span.k, article .highlight span.kn').count() >= 1, 'code not highlighted'
        if re.search(r'show_doc\(', src):               # API reference: one entry per show_doc
            assert page.locator('article h3.doc-sym, article h4.doc-sym').count() >= 1, 'no show_doc entries'
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENS/f'{name}.png'), full_page=True)
    finally: page.context.close()
    assert not problems, f'{name}.html:\n' + '\n'.join(problems)

def test_every_page_built_and_nav(site, browser):
    "One page per notebook, all in the nav in number order, 02_io reachable as 'Data formats', nothing else."
    stamp = json.loads(build_docs.STAMP.read_text())
    assert stamp['pages'] == [f'{p}.html' for p in PAGES]
    page, problems = _open(browser, f'{site}index.html')
    try:
        links = page.evaluate("""() => Array.from(document.querySelectorAll('nav.md-nav--primary a.md-nav__link[href$=".html"]'))
                                       .map(a => [a.textContent.trim(), a.getAttribute('href')])""")
        hrefs = [h.split('#')[0].lstrip('./') for _, h in links]
        order = [p for p in dict.fromkeys(hrefs)]
        assert order == [f'{p}.html' for p in PAGES], order
        tables = [p for p in PAGES if 'doc-sym' in (SITE/f'{p}.html').read_text(encoding='utf-8')
                  and '<th><strong>Type</strong></th>' in (SITE/f'{p}.html').read_text(encoding='utf-8')]
        assert len(tables) >= 1, 'no show_doc parameter table on any page'
        with_outputs = [p for p in PAGES if 'class="nb-output' in (SITE/f'{p}.html').read_text(encoding='utf-8')]
        assert len(with_outputs) >= len(PAGES) // 2, f'cell outputs on only {with_outputs}'
        if 'io' in PAGES: assert ['Data formats', 'io.html'] in [[t, h.lstrip('./')] for t, h in links], links
    finally: page.context.close()
    assert not problems, '\n'.join(problems)

def test_search_works_offline(site, browser):
    "MkDocs' search index and worker are local: searching finds a function."
    page, problems = _open(browser, f'{site}index.html')
    try:
        page.locator('input.md-search__input').click()
        page.locator('input.md-search__input').press_sequentially('quaternion', delay=50)   # key events, as a user
        page.wait_for_selector('.md-search-result__item', timeout=30000)
        assert page.locator('.md-search-result__item').count() >= 1
    finally: page.context.close()
    assert not problems, '\n'.join(problems)
