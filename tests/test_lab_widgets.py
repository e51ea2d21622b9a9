"""The widgets in a real JupyterLab, driven by headless Chromium (Playwright).

A tiny tokenizer is trained by the trainer (12 iterations) into a temporary directory, next to a copy of
`tests/widgets_lab.ipynb` and the real G1 clips (`walk.npy`). JupyterLab is started there on a free port of
127.0.0.1 with a known token; the browser opens the notebook, waits for the kernel, runs all cells
(`notebook:run-all-cells`), waits until both widgets have drawn their plotly figures, then changes controls
and checks that the figures changed:

* TrajectoryWidget: other joints in the SelectMultiple -> other legend entries and line paths;
  the frame slider (keyboard) -> the root markers move;
* CodebookWidget: the sorted/raw toggle -> other bar paths.

Screenshots go to `_lab_screens/`. Needs JupyterLab, ipywidgets, plotly, anywidget, Python Playwright and
Debian's Chromium; without them the test FAILS (it does not skip):
    apt-get update && apt-get install -y chromium
    pip install jupyterlab ipywidgets plotly anywidget playwright
`MVQ_CHROMIUM` overrides the browser path (default /usr/bin/chromium)."""
import json, os, secrets, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENS = ROOT/'_lab_screens'
NOTEBOOK = Path(__file__).resolve().parent/'widgets_lab.ipynb'
G1_NPY = ROOT.parent/'shared'/'data'/'g1'/'walkrun_g1_29dof.npy'
CHROMIUM = os.environ.get('MVQ_CHROMIUM', '/usr/bin/chromium')
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
        '--no-first-run', '--disable-component-update', '--disable-sync']
INSTALL = ('install them with: apt-get update && apt-get install -y chromium; '
           'pip install jupyterlab ipywidgets plotly anywidget playwright')
TRAIN = """
from motion_vqvae.trainer import MVQVAEAgent
from motion_vqvae.config import load_config
TINY = ['quantizer=ema_reset', 'body_parts=none', 'part_tokens=1', 'short_path=false', 'augment_mirror=false', 'grad_clip=0',   # the T2M-GPT-style model, small
        'width=16', 'output_emb_width=16', 'code_dim=16', 'nb_code=32', 'depth=1', 'window_size=16', 'batch_size=16',
        'total_iter=12', 'eval_every=6', 'log_every=3', 'lr=3e-3', 'warm_up_iter=2', 'lr_scheduler=[100]', 'device=cpu',
        'motion_file=null', 'val_clips=[clip_000, clip_002]', 'out_dir=run']
MVQVAEAgent(load_config('limbs_2700', TINY), progress=False).fit()
"""

def _require():
    missing = []
    for mod in ('jupyterlab', 'ipywidgets', 'plotly', 'anywidget', 'playwright.sync_api'):
        try: __import__(mod)
        except ImportError: missing.append(mod)
    if missing: pytest.fail(f'missing Python packages {missing}: {INSTALL}', pytrace=False)
    if not Path(CHROMIUM).exists(): pytest.fail(f'Chromium not found at {CHROMIUM}: {INSTALL}', pytrace=False)

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def lab():
    "(base URL, token, working dir) of a JupyterLab serving a copy of the notebook, a tokenizer run and the clips."
    _require()
    work = Path(tempfile.mkdtemp(prefix='mvq_lab_'))
    shutil.copy(NOTEBOOK, work/NOTEBOOK.name)
    if G1_NPY.exists(): shutil.copy(G1_NPY, work/'walk.npy')
    else:
        from motion_vqvae.io import sample_motion_path
        shutil.copy(sample_motion_path(), work/'walk.npy')
    r = subprocess.run([sys.executable, '-c', TRAIN], cwd=work, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f'training the tiny tokenizer failed:\n{r.stdout}\n{r.stderr}'
    cfg = work/'_jupyter'
    for d in ('config', 'runtime', 'settings', 'workspaces'): (cfg/d).mkdir(parents=True)
    notes = cfg/'settings'/'@jupyterlab'/'apputils-extension'          # no "Jupyter news?" toast over the widgets
    notes.mkdir(parents=True)
    (notes/'notification.jupyterlab-settings').write_text(json.dumps({'fetchNews': 'false', 'checkForUpdates': False}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(cfg/'config'), JUPYTER_RUNTIME_DIR=str(cfg/'runtime'),
               JUPYTERLAB_SETTINGS_DIR=str(cfg/'settings'), JUPYTERLAB_WORKSPACES_DIR=str(cfg/'workspaces'),
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
           f'--ServerApp.token={token}', f'--ServerApp.root_dir={work}', '--ServerApp.port_retries=0',
           '--LabApp.expose_app_in_browser=True', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
    if hasattr(os, 'geteuid') and os.geteuid() == 0: cmd.append('--allow-root')
    log = open(work/'lab.log', 'w')
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    try:
        for _ in range(120):
            if proc.poll() is not None: break
            try:
                urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2).read(); break
            except OSError: time.sleep(0.5)
        else: pass
        if proc.poll() is not None:
            pytest.fail(f'JupyterLab exited ({proc.returncode}):\n{(work/"lab.log").read_text()[-3000:]}', pytrace=False)
        yield base, token, work
    finally:
        proc.terminate()
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)

# JavaScript helpers evaluated in the page
_PLOTS = "sel => Array.from(document.querySelectorAll(sel + ' .js-plotly-plot')).filter(p => p.querySelector('.main-svg')).length"
_LEGEND = "sel => Array.from(document.querySelector(sel).querySelectorAll('.js-plotly-plot')[0].querySelectorAll('.legendtext')).map(e => e.textContent)"
_PATHS = """([sel, i, what]) => Array.from(document.querySelector(sel).querySelectorAll('.js-plotly-plot')[i]
             .querySelectorAll(what)).map(e => e.getAttribute('d') || e.getAttribute('transform') || '')"""

def test_widgets_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    base, token, work = lab
    SCREENS.mkdir(exist_ok=True)
    t0, problems = time.time(), []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={'width': 1600, 'height': 1100})
            page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
            page.route('**/*', lambda r: r.continue_() if r.request.url.startswith((base, 'data:', 'blob:')) else r.abort())
            page.goto(f'{base}/lab/tree/{NOTEBOOK.name}?token={token}', wait_until='domcontentloaded')
            page.wait_for_function("""() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                                       return !!(w && w.sessionContext && w.sessionContext.isReady); }""", timeout=90_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            try:
                page.wait_for_function("() => document.body.innerText.includes('ALL CELLS DONE')", timeout=120_000)
                page.wait_for_function(f"() => ({_PLOTS})('.mvq-trajectory-widget') >= 4 && ({_PLOTS})('.mvq-codebook-widget') >= 4",
                                       timeout=60_000)
            except Exception:
                page.screenshot(path=str(SCREENS/'lab_failed.png'), full_page=True)
                errors = page.evaluate("() => Array.from(document.querySelectorAll('.jp-OutputArea-output')).map(e => e.innerText).join('\\n---\\n')")
                raise AssertionError(f'the widgets did not render; outputs:\n{errors[-3000:]}\nproblems: {problems}')
            page.wait_for_timeout(1000)
            tw = page.locator('.mvq-trajectory-widget')
            tw.screenshot(path=str(SCREENS/'trajectory_widget.png'))

            # TrajectoryWidget: choose other joints -> other legend and lines
            T = '.mvq-trajectory-widget'
            legend0, lines0 = page.evaluate(_LEGEND, T), page.evaluate(_PATHS, [T, 0, '.scatterlayer path.js-line'])
            tw.locator('.widget-select-multiple select').select_option(['left_knee_joint', 'right_knee_joint'])
            page.wait_for_function(f"() => ({_LEGEND})('{T}').join() === 'left_knee,right_knee'", timeout=30_000)
            lines1 = page.evaluate(_PATHS, [T, 0, '.scatterlayer path.js-line'])
            assert legend0 != ['left_knee', 'right_knee'] and lines1 != lines0 and len(lines1) == 4, (legend0, len(lines1))
            tw.screenshot(path=str(SCREENS/'trajectory_widget_joints.png'))

            # TrajectoryWidget: move the frame slider -> the root markers (3rd figure, last trace) move
            markers0 = page.evaluate(_PATHS, [T, 2, '.scatterlayer .trace:last-child .point'])
            handle = tw.locator('.widget-hslider').nth(1).locator('.noUi-handle')   # slider 0 is the frames range
            handle.click()
            for _ in range(30): page.keyboard.press('ArrowRight')
            page.wait_for_function(f"m => JSON.stringify(({_PATHS})(['{T}', 2, '.scatterlayer .trace:last-child .point'])) !== m",
                                   arg=json.dumps(markers0), timeout=30_000)
            page.wait_for_timeout(500)
            tw.screenshot(path=str(SCREENS/'trajectory_widget_frame.png'))

            # CodebookWidget: sorted -> raw changes the bars
            C = '.mvq-codebook-widget'
            cw = page.locator(C)
            cw.scroll_into_view_if_needed()
            cw.screenshot(path=str(SCREENS/'codebook_widget.png'))
            bars0 = page.evaluate(_PATHS, [C, 0, '.barlayer .point path'])
            assert len(bars0) >= 1, 'no bars in the code usage histogram'
            cw.locator('.widget-toggle-buttons button', has_text='raw').click()
            page.wait_for_function(f"b => JSON.stringify(({_PATHS})(['{C}', 0, '.barlayer .point path'])) !== b",
                                   arg=json.dumps(bars0), timeout=30_000)
            page.wait_for_timeout(500)
            cw.screenshot(path=str(SCREENS/'codebook_widget_raw.png'))
            page.screenshot(path=str(SCREENS/'lab_full.png'), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    print(f'browser test: {time.time() - t0:.1f} s in the browser; screenshots in {SCREENS}')
