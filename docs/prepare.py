"""Turn the notebooks in nbs/ into the Sphinx source tree of the docs site.

nbdev renders its own docs through Quarto, which cannot run here, so this script applies
nbdev's notebook processors (hidden cells, show_doc, directives) and then hands the notebooks,
with their stored outputs, to Sphinx + myst-nb. Usage: python docs/prepare.py SRC_DIR
"""
import re, shutil, sys
from pathlib import Path

from execnb.nbio import read_nb, write_nb, mk_cell
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.processors import (populate_language, add_show_docs, exec_show_docs, hide_, hide_line,
                              strip_ansi, clean_magics, rm_header_dash, strip_hidden_metadata)

DOCS = Path(__file__).resolve().parent
EXTRA_PAGES = ['api.md', 'benchmarks.md', 'instructors.md']  # hand-written pages that follow the notebooks in the navigation


def notebooks(nbs_path):
    "The notebooks that are pages, in reading order: the front page, then by file name."
    nbs = sorted(p for p in nbs_path.glob('*.ipynb') if not p.name.startswith('_') and p.stem != 'index')
    return [nbs_path / 'index.ipynb'] + nbs


def title_cell(cell):
    "Render nbdev's `# Title` / `> subtitle` cell as a heading and a lead paragraph."
    if cell.cell_type != 'markdown' or getattr(cell, 'idx_', None) != 0: return
    cell.source = re.sub(r'^> (.*)$', r'*\1*', cell.source, count=1, flags=re.M)


def show_doc_tags(cell):
    "Show only the rendered output of `show_doc` cells, not the call."
    if getattr(cell, 'has_sd', False) or cell.source.startswith('show_doc('):
        cell.metadata['tags'] = ['remove-input']


def echo_false(cell):
    "Show only the output of cells marked `#| echo: false` (Quarto's directive; myst-nb's tag)."
    if cell.cell_type == 'code' and cell.directives_.get('echo:', [''])[0].lower() == 'false':
        cell.metadata['tags'] = cell.metadata.get('tags', []) + ['remove-input']


def show_doc_markdown(cell):
    "Keep the signature and docstring of `show_doc` output; drop Quarto-only rules and source links."
    if 'remove-input' not in cell.metadata.get('tags', []): return
    for out in cell.get('outputs', []):
        md = out.get('data', {}).get('text/markdown')
        if md is None: continue
        md = ''.join(md)
        md = re.sub(r'^---\s*$', '', md, flags=re.M)
        md = re.sub(r'^\[source\]\(.*$', '', md, flags=re.M)
        md = re.sub(r'^#+ (.*)$', r'**`\1`**', md, flags=re.M)
        out['data']['text/markdown'] = md.strip() + '\n'


def process(nb_path):
    "Return the processed copy of one notebook, ready for myst-nb."
    procs = [populate_language, add_show_docs, exec_show_docs, hide_, hide_line, strip_ansi,
             clean_magics, rm_header_dash, strip_hidden_metadata, title_cell, show_doc_tags, echo_false,
             show_doc_markdown]
    proc = NBProcessor(nb_path, procs)
    proc.process()
    proc.nb.metadata['language_info'] = {'name': 'python', 'pygments_lexer': 'ipython3'}
    for cell in proc.nb.cells:
        for k in [k for k in cell if k.endswith('_')]: del cell[k]  # processor-only attributes
    return proc.nb


def toctree(names):
    "A hidden toctree cell that puts every page in the navigation, in reading order."
    body = '\n'.join(names)
    return mk_cell(f"```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{body}\n```", cell_type='markdown')


def main(dest):
    dest = Path(dest)
    if dest.exists(): shutil.rmtree(dest)
    dest.mkdir(parents=True)
    nbs = notebooks(get_config().nbs_path)
    pages = [p.stem for p in nbs[1:]] + [Path(p).stem for p in EXTRA_PAGES]
    for nb_path in nbs:
        nb = process(nb_path)
        if nb_path.stem == 'index': nb.cells.append(toctree(pages))
        write_nb(nb, dest / nb_path.name)
    for page in EXTRA_PAGES: shutil.copy(DOCS / page, dest / page)


if __name__ == '__main__': main(sys.argv[1])
