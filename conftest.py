"""pytest set-up shared by the notebook tests (nbval) and the site test."""
import os, re

import pytest

# nbdev's test flags (settings.ini `tst_flags`): a cell whose first lines say `#| slow` trains for
# long, and so does every cell that uses its result. `make test` skips them; `make test-all`
# (NNDL_SLOW=1, what CI runs) executes them.
SLOW = re.compile(r'^\s*#\|\s*slow\s*$', flags=re.M)


def is_slow(source):
    "Whether a cell carries nbdev's `#| slow` test flag among its leading directive lines."
    head = []
    for line in source.splitlines():
        if not line.strip(): continue
        if not line.lstrip().startswith('#|'): break
        head.append(line)
    return bool(SLOW.search('\n'.join(head)))


def pytest_collection_modifyitems(items):
    "Let nbval run nbdev-cleaned notebooks, and skip `#| slow` cells unless NNDL_SLOW=1."
    run_slow = os.environ.get('NNDL_SLOW') == '1'
    for item in items:
        cell = getattr(item, 'cell', None)
        if cell is None: continue
        # nbval refuses a cell that has outputs but no execution count ("Unrun reference cell has
        # outputs"). In lax mode it compares no outputs, so the count only needs to be a number.
        if cell.get('execution_count') is None: cell.execution_count = 0
        if cell.get('cell_type') == 'code' and not run_slow and is_slow(cell.source):
            item.add_marker(pytest.mark.skip(reason='#| slow cell: run with `make test-all` (NNDL_SLOW=1)'))
