"""The grade of `make check`: after pytest has re-run the notebooks with nbval, say which checks pass.

A check is a code cell that asserts something: an `assert` statement, `pytest.raises`/`pytest.warns`, or a
`test_*`/`assert_*` function (fastcore, numpy.testing). Every other cell is shown only when it fails,
because a failure there (a stub not written yet) explains the checks that fail after it.
`--grade-json PATH` also writes the grade as JSON, for graders' scripts.
"""
import ast, json
from collections import defaultdict
from pathlib import Path

import pytest

_results = defaultdict(dict)  # notebook -> {cell number: row}


def pytest_addoption(parser):
    group = parser.getgroup('grade', 'the grade of the student edition')
    group.addoption('--grade-json', metavar='PATH', help='also write the grade as JSON to PATH')


def python(source):
    "The cell as plain Python (IPython magics turned into calls), or None if it does not parse."
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except ImportError: pass
    try: return ast.parse(source)
    except SyntaxError: return None


def check_line(source):
    "The line that shows what a cell checks (its first assertion), or None if the cell checks nothing."
    tree = python(source)
    if tree is None: return None
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Assert) or (isinstance(n, ast.Call) and _check_name(n.func))]
    if not found: return None
    first = min(found, key=lambda n: (n.lineno, n.col_offset))
    return _first_line(ast.get_source_segment(source, first) or source)


def _check_name(f):
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ''
    return name in ('raises', 'warns') or name.startswith(('assert_', 'test_'))


def _first_line(source, width=70):
    line = next((l.strip() for l in source.splitlines() if l.strip() and not l.lstrip().startswith('#')), '')
    return line if len(line) <= width else line[:width - 3] + '...'


def _error(item):
    "`Name: message` of the exception the cell raised, from nbval's record of its outputs."
    for out in getattr(item, 'test_outputs', None) or []:
        if out.get('output_type') == 'error':
            msg = (out.get('evalue') or '').strip().splitlines()
            return out['ename'] + (f': {_first_line(msg[0], 100)}' if msg else '')
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    rep = (yield).get_result()
    cell = getattr(item, 'cell', None)
    if cell is None or (rep.when != 'call' and rep.passed) or rep.when == 'teardown': return
    source = cell.source
    checks = check_line(source)
    reason = rep.longrepr[2].removeprefix('Skipped: ') if rep.skipped and isinstance(rep.longrepr, tuple) else None
    _results[str(Path(item.fspath).relative_to(item.config.rootpath))][item.cell_num] = dict(
        cell=item.cell_num, check=checks is not None, outcome=rep.outcome,
        line=checks or _first_line('\n'.join(l for l in source.splitlines() if not l.lstrip().startswith('#|'))),
        error=_error(item) if rep.failed else reason)


def grade():
    "Per notebook: the number of checks, how many pass, and every check and failing cell in order."
    out = {}
    for nb, cells in sorted(_results.items()):
        rows = [cells[k] for k in sorted(cells)]
        # A skipped check (a `#| slow` cell, run only with NNDL_SLOW=1) is neither passed nor failed:
        # it is counted apart, not among the checks the grade is out of.
        checks = [r for r in rows if r['check'] and r['outcome'] != 'skipped']
        out[nb] = dict(checks=len(checks), passed=sum(r['outcome'] == 'passed' for r in checks),
                       skipped=sum(r['check'] and r['outcome'] == 'skipped' for r in rows),
                       failed_cells=sum(r['outcome'] == 'failed' for r in rows), cells=rows)
    return out


def pytest_terminal_summary(terminalreporter, config):
    g = grade()
    if not g: return
    tr = terminalreporter
    tr.section('grade')
    mark = {'passed': 'pass', 'failed': 'FAIL', 'skipped': 'skip'}
    for nb, r in g.items():
        skipped = f" ({r['skipped']} slow checks skipped: NNDL_SLOW=1 runs them)" if r['skipped'] else ''
        tr.write_line(f"{nb}: {r['passed']} of {r['checks']} checks pass{skipped}")
        for row in r['cells']:
            if not row['check'] and row['outcome'] != 'failed': continue
            kind = '' if row['check'] else '(not a check) '
            tr.write_line(f"  {mark[row['outcome']]}  cell {row['cell']:>3}  {kind}{row['line']}")
            if row['error'] and row['outcome'] == 'failed': tr.write_line(f"{'':16}{row['error']}")
    if len(g) > 1:
        tr.write_line(f"all: {sum(r['passed'] for r in g.values())} of {sum(r['checks'] for r in g.values())} checks pass")
    path = config.getoption('grade_json')
    if path: Path(path).write_text(json.dumps(g, indent=1))
