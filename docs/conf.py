"""Sphinx configuration of the nndl docs site (sources are prepared by docs/prepare.py)."""
import configparser, inspect, re
from pathlib import Path

from fastcore.docments import docments

import nndl

project = 'nndl'
author = 'nndl developers'
copyright = '2026, nndl developers'
release = nndl.__version__

extensions = ['myst_nb', 'sphinx.ext.autodoc', 'sphinx.ext.mathjax', 'sphinx-mathjax-offline']
root_doc = 'index'
exclude_patterns = ['_build', '**.ipynb_checkpoints']

# Notebooks are rendered with the outputs they were committed with; nbval re-runs them in tests.
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'
myst_enable_extensions = ['dollarmath', 'amsmath']

autodoc_member_order = 'bysource'
autodoc_typehints = 'none'
add_module_names = False

html_theme = 'sphinx_book_theme'
html_title = 'nndl'
# Where the site is published (GitHub Pages): settings.ini's doc_host + doc_baseurl; gives canonical URLs.
_ini = configparser.ConfigParser(); _ini.read(Path(__file__).resolve().parents[1] / 'settings.ini')
html_baseurl = _ini['DEFAULT']['doc_host'] + _ini['DEFAULT']['doc_baseurl'].rstrip('/') + '/'
html_favicon = '_static/favicon.svg'
html_static_path = ['_static']
html_context = {'default_mode': 'light'}
# pydata-sphinx-theme 0.20 puts a search field in a top header bar unless navbar_persistent is set;
# sphinx-book-theme has no header otherwise and already has a search field in the sidebar.
html_theme_options = {'show_toc_level': 2, 'navigation_with_keys': False, 'navbar_persistent': []}
html_css_files = ['custom.css']


def return_comment(obj):
    "The comment after the closing `):` of a multi-line signature, which nndl uses to document returns."
    m = re.search(r'^\s*\)\s*(?:->[^:]*)?:\s*#\s*(.+)$', inspect.getsource(obj), flags=re.M)
    return m.group(1) if m else None


def add_docments(app, what, name, obj, options, lines):
    "Turn the docments comments on a function's arguments into the reference entry's parameter list."
    if what != 'function': return
    fields = [f':param {arg}: {doc}' for arg, doc in docments(obj).items() if arg != 'return' and doc]
    ret = docments(obj).get('return') or return_comment(obj)
    if ret: fields.append(f':returns: {ret}')
    if fields: lines.extend([''] + fields)


def setup(app):
    app.connect('autodoc-process-docstring', add_docments)
