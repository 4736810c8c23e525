"""Sphinx configuration of the nndl docs site (sources are prepared by docs/prepare.py)."""
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
suppress_warnings = []

autodoc_member_order = 'bysource'
autodoc_typehints = 'none'
add_module_names = False

html_theme = 'sphinx_book_theme'
html_title = 'nndl'
html_favicon = '_static/favicon.svg'
html_static_path = ['_static']
html_context = {'default_mode': 'light'}
html_theme_options = {'show_toc_level': 2, 'navigation_with_keys': False}
html_last_updated_fmt = None
html_css_files = ['custom.css']
