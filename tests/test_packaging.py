"""Users `pip install` the exported library, not the repo: build a wheel, install it into a clean
venv, and run the console script there, outside the repo, on the package's embedded sample."""
import json, os, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pkg')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp/'dist'), str(ROOT)], check=True)
    wheel, = (tmp/'dist').glob('motion_vqvae-*.whl')
    venv.create(tmp/'venv', with_pip=True)
    py = tmp/'venv'/'bin'/'python'
    pip = [str(py), '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    subprocess.run(pip + ['torch==2.13.0'], check=True)        # the CPU build first (see README)
    subprocess.run(pip + [str(wheel)], check=True)
    work = tmp/'elsewhere'; work.mkdir()
    return tmp/'venv'/'bin', work, wheel

def run(binp, work, *args):
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    return subprocess.run([str(binp/'motion-vqvae'), *args], cwd=work, capture_output=True, text=True, env=env)

def test_wheel_ships_sample_and_recipes(installed):
    import zipfile
    names = zipfile.ZipFile(installed[2]).namelist()
    for f in ['motion_vqvae/assets/walkrun_g1_29dof.npy', 'motion_vqvae/assets/g1_29dof.xml',
              'motion_vqvae/assets/LICENSE-unitree-g1-model', 'motion_vqvae/configs/agent.yaml',
              'motion_vqvae/configs/cpu_quick.yaml', 'motion_vqvae/configs/t2m_gpt.yaml']:
        assert f in names, f'{f} missing from the wheel'

def test_installed_inspect_on_embedded_sample(installed):
    binp, work, _ = installed
    r = run(binp, work, 'inspect', '--json')
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info['format'] == 'npy' and len(info['clips']) == 14
    assert sum(c['stable_frames'] for c in info['clips']) == 6204
    assert not (work/'motion_vqvae').exists()   # really ran from site-packages
    r = run(binp, work, 'inspect', 'no_such_file.npy')
    assert r.returncode == 2 and 'no_such_file.npy' in r.stderr and 'Traceback' not in r.stderr
