"""Open every page of the built docs site in headless Chromium and fail on anything a reader would see broken.

The site must already be built (`make docs`; `make test` does it first). Chromium and ChromeDriver come
from Debian's packages; without them this test skips, unless NNDL_REQUIRE_BROWSER=1 (CI sets it).
"""
import functools, json, os, re, urllib.error, urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from browser import SITE, WAIT_MATHJAX, browser_paths, chromium, serve


@pytest.fixture(scope='module')
def site_url():
    "Serve the built site on 127.0.0.1 for the duration of the module."
    if not (SITE / 'index.html').exists(): pytest.fail(f'no built site at {SITE}: run `make docs` first')
    with serve() as url: yield url


@pytest.fixture(scope='module')
def driver():
    "A headless Chromium driven by Selenium, logging console messages and network events."
    paths = browser_paths()
    if paths is None:
        msg = 'Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)'
        if os.environ.get('NNDL_REQUIRE_BROWSER') == '1': pytest.fail(msg + ', and NNDL_REQUIRE_BROWSER=1')
        pytest.skip(msg)
    with chromium(paths, logs=True) as drv: yield drv


def pages():
    "Every HTML page of the built site, relative to its root."
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob('*.html') if '_static' not in p.parts)


def network_problems(drv, origin):
    "Failed requests, HTTP errors and requests that leave `origin`, made by pages of the site."
    ours, problems = set(), []
    for entry in drv.get_log('performance'):
        msg = json.loads(entry['message'])['message']
        method, params = msg['method'], msg.get('params', {})
        if method == 'Network.requestWillBeSent':
            url = params['request']['url']
            if not (params.get('documentURL', '').startswith(origin) or url.startswith(origin)): continue
            ours.add(params['requestId'])
            if not url.startswith((origin, 'data:', 'blob:', 'about:')):
                problems.append(f'request leaves {origin}: {url}')
        elif params.get('requestId') not in ours: continue
        elif method == 'Network.loadingFailed' and not params.get('canceled'):
            problems.append(f"request failed: {params.get('errorText')} ({params.get('type')})")
        elif method == 'Network.responseReceived' and params['response']['status'] >= 400:
            problems.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
    return problems


def load(drv, url):
    "Open `url`, wait for MathJax to finish typesetting, and return what went wrong on the way."
    drv.get_log('browser'), drv.get_log('performance')  # drop what earlier pages left
    drv.get(url)
    mathjax = drv.execute_async_script(WAIT_MATHJAX)
    origin = re.match(r'http://127\.0\.0\.1:\d+/', url).group(0)
    problems = [f"console {e['level']}: {e['message']}" for e in drv.get_log('browser') if e['level'] == 'SEVERE']
    return mathjax, problems + network_problems(drv, origin)


def math_problems(drv, mathjax):
    "Math left as raw TeX: `.math` elements MathJax did not render, or stray `$$` in the text."
    n_math = drv.execute_script("return document.querySelectorAll('.math').length")
    raw = drv.execute_script("""return [...document.querySelectorAll('.math')]
        .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60));""")
    problems = [f'math not rendered: {t!r}' for t in raw]
    if n_math and mathjax != 'ok': problems.append(f'MathJax did not run: {mathjax}')
    text = drv.execute_script("return document.querySelector('main, article, body').innerText")
    if '$$' in text or re.search(r'\\\(|\\\[|\\begin\{', text): problems.append('raw TeX left in the page text')
    return problems


def image_problems(drv):
    "Images that did not load."
    broken = drv.execute_script("""return [...document.images]
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);""")
    return [f'image did not load: {src}' for src in broken]


@functools.lru_cache(maxsize=None)
def ids_of(url):
    "Fetch `url` (on the test server) and return the element ids it defines, or None when it fails."
    try:
        with urllib.request.urlopen(url, timeout=10) as r: html = r.read().decode('utf-8', 'replace')
    except urllib.error.URLError: return None
    return set(re.findall(r'\sid="([^"]+)"', html))


def link_problems(drv, origin):
    "Internal links whose page is missing or whose #anchor does not exist on it."
    hrefs = drv.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    problems = []
    for href in sorted(set(hrefs)):
        if not href.startswith(origin): continue
        page, frag = urldefrag(href)
        ids = ids_of(page)
        if ids is None: problems.append(f'dead link: {href}')
        elif frag and frag not in ids: problems.append(f'dead anchor: {href}')
    return problems


@pytest.mark.parametrize('page', pages())
def test_page(driver, site_url, page):
    "The page loads with no console error, no failed or outside request, rendered math, images and live links."
    mathjax, problems = load(driver, site_url + page)
    problems += math_problems(driver, mathjax) + image_problems(driver) + link_problems(driver, site_url)
    assert not problems, f'{page}:\n' + '\n'.join(problems)


def test_every_notebook_is_a_page_in_reading_order(driver, site_url):
    "The navigation lists every notebook, in the order of their file names, then the API, benchmarks and instructors' pages."
    nbs = Path(__file__).resolve().parents[1] / 'nbs'
    expected = [p.stem for p in sorted(nbs.glob('[!_]*.ipynb')) if p.stem != 'index'] + ['api', 'benchmarks', 'instructors']
    load(driver, site_url + 'index.html')
    hrefs = driver.execute_script("""return [...document.querySelectorAll('nav.bd-docs-nav a.reference.internal')]
        .map(a => a.getAttribute('href'));""")
    assert [Path(urlparse(h).path).stem for h in hrefs] == expected


def test_math_and_plots_render(driver, site_url):
    "A notebook page shows typeset equations and its matplotlib figures."
    load(driver, site_url + '00_gradient_check.html')
    n_math = driver.execute_script("return document.querySelectorAll('mjx-container').length")
    figures = driver.execute_script("""return [...document.images].filter(i => i.src.includes('_images/')
        && i.naturalWidth > 200).length""")
    assert n_math > 10 and figures >= 1, (n_math, figures)


def test_solutions_collapsed(driver, site_url):
    "The exercises' solutions are collapsed on every page that has them, with their math typeset, and open on a click."
    with_solutions = [p for p in pages() if 'class="solution"' in (SITE / p).read_text() and p != 'instructors.html']
    assert len(with_solutions) >= 10, with_solutions
    for page in with_solutions:
        load(driver, site_url + page)
        blocks = driver.execute_script("""return [...document.querySelectorAll('details.solution')].map(d => ({
            open: d.open, summary: d.querySelector('summary').textContent, math: d.querySelectorAll('.math').length,
            typeset: d.querySelectorAll('.math mjx-container').length, height: d.getBoundingClientRect().height}))""")
        assert blocks and all(not b['open'] and b['summary'].startswith('Solution') for b in blocks), (page, blocks)
        assert all(b['math'] == b['typeset'] for b in blocks), (page, blocks)
        first = driver.find_element('css selector', 'details.solution summary')
        driver.execute_script("arguments[0].scrollIntoView()", first)
        first.click()
        opened = driver.execute_script("""const d = document.querySelector('details.solution');
            return [d.open, d.getBoundingClientRect().height]""")
        assert opened[0] and opened[1] > 3 * blocks[0]['height'], (page, opened, blocks[0])


def test_api_reference(driver, site_url):
    "The API page has an entry, with its docstring, for every public name of every module of the package."
    import importlib, pkgutil, nndl
    modules = [importlib.import_module(f'nndl.{m.name}') for m in pkgutil.iter_modules(nndl.__path__)
               if not m.name.startswith('_')]
    load(driver, site_url + 'api.html')
    for mod in modules:
        for name in mod.__all__:
            entry = driver.execute_script(
                "const e = document.getElementById(arguments[0]); return e && e.parentElement.innerText;",
                f'{mod.__name__}.{name}')
            doc = getattr(mod, name).__doc__.split('`')[0].strip()
            entry = entry and entry.replace('\u2019', "'")  # Sphinx's smart quotes: element’s -> element's
            assert entry and doc in entry, f'no reference entry with docstring for {mod.__name__}.{name}'


def test_search(driver, site_url):
    "Searching the site finds the page that teaches a term."
    from selenium.webdriver.support.ui import WebDriverWait
    load(driver, site_url + 'search.html?q=centred+differences')
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#search-results li').length > 0"))
    links = driver.execute_script("return [...document.querySelectorAll('#search-results li a')].map(a => a.href)")
    assert any('00_gradient_check' in h for h in links), links
