"The library is what the notebooks export, and the notebooks carry no outputs or stray metadata."
from check_sync import check

def test_library_matches_notebooks_and_notebooks_are_clean():
    problems = check()
    assert not problems, '\n'.join(problems)


def test_readme_links_notebook_images_from_the_repository_root(tmp_path):
    "index.ipynb links images/X (nbs/ and the docs site); README.md, at the root, must link nbs/images/X."
    import json, make_readme
    from check_sync import ROOT
    md = ['![rd](images/rate_distortion.png) and ![b]( ./images/b.png)\n',
          '<img src="images/c.png"> ![web](https://example.org/images/d.png)']
    nb = {'cells': [{'cell_type': 'markdown', 'source': md},
                    {'cell_type': 'code', 'source': ['s = "![x](images/code.png)"']}]}
    (tmp_path/'index.ipynb').write_text(json.dumps(nb))
    text = make_readme.render(tmp_path/'index.ipynb')
    assert '![rd](nbs/images/rate_distortion.png)' in text and '![b]( nbs/images/b.png)' in text
    assert '<img src="nbs/images/c.png">' in text and '(https://example.org/images/d.png)' in text
    assert '![x](images/code.png)' in text                       # code is not Markdown: left as it is
    assert make_readme.local_images(text) == ['nbs/images/rate_distortion.png', 'nbs/images/b.png', 'nbs/images/c.png']
    # the real README: the rate-distortion figure, linked from the root, exists
    imgs = make_readme.local_images((ROOT/'README.md').read_text(encoding='utf-8'))
    assert 'nbs/images/rate_distortion.png' in imgs, imgs
    missing = [f for f in imgs if not (ROOT/f).is_file()]
    assert not missing, f"README.md links images that do not exist: {missing}"
