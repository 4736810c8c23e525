"""Take the README's screenshots of the built site in headless Chromium: python docs/screenshots.py"""
import functools, http.server, shutil, tempfile, threading
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

DOCS = Path(__file__).resolve().parent
SHOTS = {'site-home.png': 'index.html', 'site-batchnorm.png': '05_batchnorm.html#the-computation-graph'}


def main():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(DOCS / '_build' / 'html'))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which('chromium')
    profile = tempfile.mkdtemp()
    for flag in ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--no-first-run', '--window-size=1200,800',
                 f'--user-data-dir={profile}']: opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=opts)
    try:
        for name, page in SHOTS.items():
            drv.get(f'http://127.0.0.1:{server.server_port}/{page}')
            drv.execute_async_script("const done = arguments[0]; MathJax.startup.promise.then(() => done());")
            drv.save_screenshot(str(DOCS / 'images' / name))
    finally:
        drv.quit(); server.shutdown(); shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__': main()
