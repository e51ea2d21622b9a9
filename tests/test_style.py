"Every line of the exported library is at most 120 characters (nbdev's generated `__all__` block and `_modidx.py` aside)."
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINE = 120


def long_lines(text: str, limit: int = MAX_LINE) -> list[tuple[int, int]]:
    "(line number, length) of every line longer than `limit`, skipping the lines of an `__all__ = [...]` block."
    out, in_all = [], False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith('__all__ = ['): in_all = True
        if not in_all and len(line) > limit: out.append((n, len(line)))
        if in_all and line.rstrip().endswith(']'): in_all = False
    return out


def test_long_lines_finds_long_lines_outside_all():
    text = "__all__ = ['a', \n" + ' ' * 130 + "'b']\nx = 1\n" + 'y' * 121 + '\n'
    assert long_lines(text) == [(4, 121)]


def test_library_lines_are_at_most_120_characters():
    mods = sorted(p for p in (ROOT/'motion_vqvae').glob('*.py') if p.name != '_modidx.py')
    assert mods
    bad = [f"{p.relative_to(ROOT)}:{n}: {k} characters" for p in mods
           for n, k in long_lines(p.read_text(encoding='utf-8'))]
    assert not bad, "lines over 120 characters (wrap them in the notebooks, then nbdev_export):\n" + '\n'.join(bad)
