"""Run every notebook's tests (nbdev's runner), one pytest test per notebook.

Cells flagged with a `tst_flags` flag from settings.ini (`#| slow`) are skipped; run them with
`MVQ_TEST_FLAGS=slow make test` (or `nbdev_test --flags slow`)."""
import os, time
from pathlib import Path
import pytest
import nbdev.test as nbtest   # (not `from ... import test_nb`: pytest would collect it)

NBS = Path(__file__).resolve().parent.parent/'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))
FLAGS = os.environ.get('MVQ_TEST_FLAGS', '').split()

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb, capsys):
    cwd = os.getcwd()
    os.chdir(nb.parent)               # notebooks use paths relative to nbs/, as nbdev_test does
    try:
        t0 = time.time()
        ok, _ = nbtest.test_nb(nb, skip_flags=[f for f in ['slow'] if f not in FLAGS], force_flags=FLAGS, showerr=True)
    finally: os.chdir(cwd)
    assert ok, f'{nb.name} failed (see the traceback above)'
