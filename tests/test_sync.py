"The library is what the notebooks export, and the notebooks carry no outputs or stray metadata."
from check_sync import check

def test_library_matches_notebooks_and_notebooks_are_clean():
    problems = check()
    assert not problems, '\n'.join(problems)
