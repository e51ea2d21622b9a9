#!/usr/bin/env python
"""The project's test command (`make test`, which is what CI runs).

Runs pytest over tests/ (notebook tests, sync check, packaging test) and ends with the line
`N passed, N failed` that CI reads. Extra arguments go to pytest, e.g. `-k io`."""
import subprocess, sys, tempfile, xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main(argv):
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp)/'junit.xml'
        rc = subprocess.run([sys.executable, '-m', 'pytest', 'tests', '-v', '--durations=15',
                             f'--junitxml={xml}', *argv], cwd=ROOT).returncode
        passed = failed = skipped = 0
        if xml.exists():
            for case in ET.parse(xml).getroot().iter('testcase'):
                tags = {c.tag for c in case}
                if tags & {'failure', 'error'}: failed += 1
                elif 'skipped' in tags: skipped += 1
                else: passed += 1
    if rc not in (0, 1) and failed == 0: failed = 1      # pytest crashed, was interrupted or found nothing
    print(f'{passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else ''))
    return 0 if failed == 0 and rc == 0 else 1

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
