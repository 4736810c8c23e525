"""Publishing: the site as GitHub Pages serves it, the package as a wheel, the workflow that does both.

`make publish` pushes the site to the gh-pages branch of a bare repository made here, and the site
test's checks run on that branch's tree served under /nndl/, as https://<user>.github.io/nndl/ serves it.
`make dist` builds the sdist and the wheel; the wheel alone, in a new virtual environment, must run
every layer forward and backward and pass a numerical gradient check.
"""
import configparser, json, re, subprocess, sys, tarfile, zipfile
from pathlib import Path

import pytest
import yaml

from browser import SITE, serve
from test_site import driver, image_problems, link_problems, load, math_problems  # noqa: F401 (driver: a fixture)

ROOT = Path(__file__).resolve().parents[1]
CFG = configparser.ConfigParser(delimiters=['='])
CFG.read(ROOT / 'settings.ini')
CFG = CFG['DEFAULT']


def run(*cmd, cwd=ROOT):
    "Run `cmd`; on failure, fail the test with its output."
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if res.returncode: pytest.fail(f"{' '.join(map(str, cmd))} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return res.stdout


def notebook_pages():
    "The page every notebook becomes, and the API page."
    return ['index.html'] + [p.stem + '.html' for p in sorted((ROOT / 'nbs').glob('[!_]*.ipynb'))] + ['api.html']


# ---- the site on gh-pages ------------------------------------------------------------------------

@pytest.fixture(scope='module')
def gh_pages(tmp_path_factory):
    "`make publish` to a new bare repository; return that repository and its gh-pages tree, checked out."
    tmp = tmp_path_factory.mktemp('publish')
    remote = tmp / 'remote.git'
    run('git', 'init', '--quiet', '--bare', remote)
    run('make', '--no-print-directory', 'publish', f'PUBLISH_REMOTE={remote}')
    tree = tmp / 'gh-pages'
    run('git', 'clone', '--quiet', '--branch', 'gh-pages', remote, tree)
    run('rm', '-rf', tree / '.git')
    return remote, tree


def test_gh_pages_holds_the_site(gh_pages):
    "gh-pages holds .nojekyll, _static/, the front page, every notebook's page and the API page: the built site."
    remote, tree = gh_pages
    assert (tree / '.nojekyll').is_file(), 'no .nojekyll: Jekyll would drop _static/ and _images/'
    assert any((tree / '_static').rglob('*.css')) and any((tree / '_static').rglob('*.js'))
    missing = [p for p in notebook_pages() if not (tree / p).is_file()]
    assert not missing, f'pages missing from gh-pages: {missing}'
    files = lambda d: {str(p.relative_to(d)) for p in d.rglob('*') if p.is_file()}
    built = {f for f in files(SITE) if not f.startswith(('.doctrees', '.buildinfo'))}
    assert files(tree) == built | {'.nojekyll'}
    assert run('git', '--git-dir', remote, 'rev-list', '--count', 'gh-pages').strip() == '1'


def test_no_absolute_paths(gh_pages):
    "No file names a path of the build machine, and no link or source starts at the server's root."
    _, tree = gh_pages
    problems = []
    for f in tree.rglob('*'):
        if not f.is_file(): continue
        text = f.read_bytes().decode('utf-8', 'replace')
        if str(ROOT) in text: problems.append(f'{f.relative_to(tree)} names {ROOT}')
        if f.suffix == '.html':
            problems += [f'{f.relative_to(tree)}: root-absolute {m}' for m in re.findall(r'(?:href|src)="/(?!/)[^"]*"', text)]
    assert not problems, '\n'.join(problems[:20])


def test_canonical_urls(gh_pages):
    "Each page names its URL under https://<user>.github.io/<repo>/ (settings.ini's doc_host and doc_baseurl)."
    _, tree = gh_pages
    base = f"https://{CFG['user']}.github.io/{CFG['repo']}/"
    for page in notebook_pages():
        html = (tree / page).read_text(encoding='utf-8')
        assert f'<link rel="canonical" href="{base}{page}"' in html, page


def test_published_site_under_a_subpath(driver, gh_pages):
    "The site test's checks on every page of gh-pages served under /nndl/: nothing may assume the server's root."
    _, tree = gh_pages
    pages = sorted(str(p.relative_to(tree)) for p in tree.rglob('*.html') if '_static' not in p.parts)
    with serve(tree, prefix=f"/{CFG['repo']}/") as url:
        root = re.match(r'http://127\.0\.0\.1:\d+/', url).group(0)  # links leaving /nndl/ must fail too
        problems, n_math, n_figures = [], 0, 0
        for page in pages:
            mathjax, found = load(driver, url + page)
            found += math_problems(driver, mathjax) + image_problems(driver) + link_problems(driver, root)
            problems += [f'{page}: {p}' for p in found]
            n_math += driver.execute_script("return document.querySelectorAll('mjx-container').length")
            n_figures += driver.execute_script("return [...document.images].filter(i => i.src.includes('/_images/')).length")
    assert not problems, '\n'.join(problems)
    assert n_math > 100 and n_figures > 0, (n_math, n_figures)


# ---- the package as a wheel ----------------------------------------------------------------------

@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    "`make dist` into a new folder; return (sdist, wheel)."
    out = tmp_path_factory.mktemp('dist')
    run('make', '--no-print-directory', 'dist', f'DIST={out}')
    sdists, wheels = sorted(out.glob('*.tar.gz')), sorted(out.glob('*.whl'))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(out.iterdir())
    return sdists[0], wheels[0]


def test_wheel_holds_the_package_and_its_licence(dist):
    "The wheel holds nndl/ as exported and the licence, nothing else; the sdist carries what setup.py reads."
    sdist, wheel = dist
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        info = f"nndl-{CFG['version']}.dist-info/"
        assert z.read(info + 'licenses/LICENSE') == (ROOT / 'LICENSE').read_bytes()
    assert {n for n in names if not n.startswith(info)} == {f'nndl/{p.name}' for p in (ROOT / 'nndl').glob('*.py')}
    with tarfile.open(sdist) as t:
        top = f"nndl-{CFG['version']}/"
        got = {n.removeprefix(top) for n in t.getnames()}
    assert {'settings.ini', 'setup.py', 'pyproject.toml', 'README.md', 'LICENSE', 'nndl/layers.py'} <= got
    assert not [n for n in got if n.endswith(('.ipynb', '.html')) or n.startswith(('nbs/', 'tests/', 'docs/'))]


CLEAN_ENV_CHECK = '''
import numpy as np
import nndl
from nndl.layers import *
from nndl.layer_utils import *
from nndl.gradient_check import eval_numerical_gradient_array, rel_error

assert '/site-packages/nndl/' in nndl.__file__, nndl.__file__
import importlib, pkgutil
for m in pkgutil.iter_modules(nndl.__path__): importlib.import_module(f'nndl.{m.name}')  # every module imports
rng = np.random.default_rng(0)
x, w, b = rng.standard_normal((4, 3, 2)), rng.standard_normal((6, 5)), rng.standard_normal(5)
gamma, beta = rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
scores, y = rng.standard_normal((4, 5)), np.array([0, 1, 2, 4])

def shapes(*arrays): return [a.shape for a in arrays]

a, cache = affine_forward(x, w, b)
dout = rng.standard_normal(a.shape)
assert shapes(*affine_backward(dout, cache)) == shapes(x, w, b)
out, cache = relu_forward(a)
assert shapes(relu_backward(dout, cache)) == shapes(a)
for loss_fn in (svm_loss, softmax_loss):
    loss, dscores = loss_fn(scores, y)
    assert loss > 0 and dscores.shape == scores.shape
for mode in ('train', 'test'):
    out, cache = batchnorm_forward(a, gamma, beta, {'mode': mode, 'running_mean': np.zeros(5), 'running_var': np.ones(5)})
    assert shapes(*batchnorm_backward(dout, cache)) == shapes(*batchnorm_backward_alt(dout, cache)) == shapes(a, gamma, beta)
    out, cache = dropout_forward(a, {'mode': mode, 'p': 0.5, 'seed': 0})
    assert shapes(dropout_backward(dout, cache)) == shapes(a)
out, cache = affine_relu_forward(x, w, b)
assert shapes(*affine_relu_backward(dout, cache)) == shapes(x, w, b)

bn_param = {'mode': 'train'}
out, cache = affine_batchnorm_relu_forward(x, w, b, gamma, beta, bn_param)
grads = affine_batchnorm_relu_backward(dout, cache)
f = lambda x: affine_batchnorm_relu_forward(x, w, b, gamma, beta, dict(bn_param))[0]
err = rel_error(grads[0], eval_numerical_gradient_array(f, x, dout))
assert err < 1e-8, err
print(f'nndl {nndl.__version__} from the wheel: every layer ran; affine-batchnorm-relu dx rel_error {err:.1e}')
'''


def test_wheel_works_in_a_clean_environment(dist, tmp_path):
    "A new virtual environment with only the wheel (and its dependencies) runs every layer and a gradient check."
    _, wheel = dist
    venv = tmp_path / 'venv'
    run(sys.executable, '-m', 'venv', '--without-pip', venv)
    py = venv / 'bin' / 'python'
    run(sys.executable, '-m', 'pip', '--python', py, 'install', '--quiet', '--disable-pip-version-check', wheel)
    installed = run(py, '-I', '-c', 'import importlib.metadata as m; import json; print(json.dumps([d.name for d in m.distributions()]))')
    names = {n.lower() for n in json.loads(installed)}
    requirement = lambda spec: re.split(r'[<>=!~;\[ ]', spec)[0].lower()
    runtime = {requirement(r) for r in CFG['requirements'].split()}
    dev_only = {requirement(r) for r in CFG['dev_requirements'].split()} - runtime
    assert {'nndl'} | runtime <= names, installed
    assert not names & dev_only, f'the wheel pulls in development packages: {names & dev_only}'
    script = tmp_path / 'check.py'
    script.write_text(CLEAN_ENV_CHECK)
    out = run(py, '-I', script, cwd=tmp_path)  # -I and cwd: the checkout's nndl/ cannot be imported
    assert 'every layer ran' in out


# ---- the workflow --------------------------------------------------------------------------------

def test_workflow_tests_then_deploys_the_site():
    "The workflow runs .ci/run on push to main, uploads the built site, and a job that needs it deploys to Pages."
    (wf_path,) = (ROOT / '.github' / 'workflows').glob('*.yml')
    wf = yaml.safe_load(wf_path.read_text())
    on = wf.get('on', wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert 'main' in on['push']['branches']
    jobs = wf['jobs']
    assert all(job.get('name') for job in jobs.values()), 'every job has a name'
    uses = {jid: [s.get('uses', '').split('@')[0] for s in job.get('steps', [])] for jid, job in jobs.items()}
    runs = {jid: ' '.join(s.get('run', '') for s in job.get('steps', [])) for jid, job in jobs.items()}
    (test,) = [j for j in jobs if '.ci/run' in runs[j]]
    upload = [s for s in jobs[test]['steps'] if s.get('uses', '').startswith('actions/upload-pages-artifact@')]
    assert upload and upload[0]['with']['path'] == str(SITE.relative_to(ROOT))
    (deploy,) = [j for j in jobs if 'actions/deploy-pages' in uses[j]]
    assert test in ([jobs[deploy]['needs']] if isinstance(jobs[deploy]['needs'], str) else jobs[deploy]['needs'])
    assert jobs[deploy]['permissions'] == {'pages': 'write', 'id-token': 'write'}
    assert jobs[deploy]['environment']['name'] == 'github-pages'
