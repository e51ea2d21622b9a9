"""A few seconds of coverage-guided fuzzing per reader (scripts/fuzz_readers.py, atheris): any crash
(an unexpected exception, an error that does not name the file, a hang, or a Motion with NaN) fails."""
import re, subprocess, sys
from pathlib import Path
import pytest

pytest.importorskip('atheris')
ROOT = Path(__file__).resolve().parent.parent

@pytest.mark.parametrize('reader', ['npy', 'pkl', 'bvh'])
def test_fuzz_reader_smoke(reader, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT/'scripts'/'fuzz_readers.py'), '--reader', reader, '--seconds', '5',
                        '--crash-dir', str(tmp_path/'crashes'), '--corpus', str(tmp_path/'corpus')],
                       capture_output=True, text=True, timeout=180)
    m = re.search(r'reader=(\w+) executions=(\d+) .* crashes=(\d+)', r.stdout)
    assert m, f"no summary line (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    crashes = '\n'.join(l for l in r.stderr.splitlines() if 'CRASH' in l)
    assert int(m.group(3)) == 0 and r.returncode == 0, f"{m.group(0)}\n{crashes}\n{r.stderr[-3000:]}"
    assert int(m.group(2)) > 100, m.group(0)          # it really ran
