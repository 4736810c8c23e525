"""Serve the built site on 127.0.0.1 and drive it with headless Chromium: shared by the site test and
docs/screenshots.py."""
import contextlib, functools, http.server, shutil, tempfile, threading
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / 'docs' / '_build' / 'html'
# Without the networking flags Chromium floods a closed network with refused connections.
CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync',
                '--disable-dev-shm-usage']


def browser_paths():
    "Paths of Chromium and ChromeDriver, or None when either is missing."
    chrome = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    driver = shutil.which('chromedriver')
    return (chrome, driver) if chrome and driver else None


@contextlib.contextmanager
def serve(site=SITE, prefix='/'):
    "Serve `site` under `prefix` (e.g. '/nndl/', as GitHub Pages serves a project) on 127.0.0.1; yield its URL."
    base = '/' + prefix.strip('/') if prefix.strip('/') else ''
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
        def send_head(self):
            path = self.path.split('?')[0].split('#')[0]
            if path != base and not path.startswith(base + '/'):
                self.send_error(404, f'outside {base}/, where the site is served'); return None
            return super().send_head()
        def translate_path(self, path): return super().translate_path(path[len(base):] or '/')
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{server.server_port}{base}/'
    finally: server.shutdown()


@contextlib.contextmanager
def chromium(paths, window='1280,900', logs=False):
    "A headless Chromium under Selenium with a fresh profile; `logs` records console and network events."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    profile = tempfile.mkdtemp(prefix='nndl-chrome-')
    for flag in CHROME_FLAGS + [f'--window-size={window}', f'--user-data-dir={profile}']: opts.add_argument(flag)
    if logs: opts.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
    drv = webdriver.Chrome(service=Service(paths[1]), options=opts)
    drv.set_script_timeout(30)
    drv.get('about:blank')
    try: yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


WAIT_MATHJAX = """const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) { done('no-mathjax'); }
else { MathJax.startup.promise.then(() => done('ok'), e => done('error: ' + e)); }"""
