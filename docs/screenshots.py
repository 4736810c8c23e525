"""Take the README's screenshots of the built site in headless Chromium: python docs/screenshots.py"""
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / 'tests'))
from browser import WAIT_MATHJAX, browser_paths, chromium, serve

SHOTS = {'site-home.png': 'index.html', 'site-batchnorm.png': '05_batchnorm.html#the-computation-graph'}


def main():
    with serve() as url, chromium(browser_paths(), window='1200,800') as drv:
        for name, page in SHOTS.items():
            drv.get(url + page)
            drv.execute_async_script(WAIT_MATHJAX)
            drv.save_screenshot(str(DOCS / 'images' / name))


if __name__ == '__main__': main()
