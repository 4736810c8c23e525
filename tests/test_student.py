"""The student edition (`make student`, tools/student_edition.py, docs/instructors.md).

On a clean copy of the checkout: `make student` writes the project; its notebooks keep every signature,
docstring and markdown cell, lose their outputs, and no line of a solution; each one, run, stops at its
first stub with `NotImplementedError`; and with the reference code pasted back into the stubbed cells the
student project exports it and its `make check` passes. That last run re-executes a few representative
notebooks (REPRESENTATIVE) in `make test`, every notebook in `make test-all` (NNDL_SLOW=1) or with
NNDL_STUDENT_ALL=1: the main suite already re-runs every notebook, and a second full pass would double it.
"""
import ast, json, os, shutil, subprocess, sys
from pathlib import Path

import pytest
from execnb.nbio import read_nb, write_nb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import student_edition as se

VENV = Path(sys.prefix)  # the virtual environment running the tests: no second one is built
MAKE = ['make', '--no-print-directory', f'VENV={VENV}', '-o', f'{VENV}/.installed']
# 01: a layer and its gradient check through the student's own gradient_check; 07: private helpers stubbed
# by a `#| student stub` marker; 10: a class built method by method with @patch, trained on the student's net.
REPRESENTATIVE = ['01_affine', '07_layernorm', '10_solver']


def run(cmd, cwd, env=None):
    "Run `cmd` in `cwd`; return the completed process (output captured)."
    return subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)


@pytest.fixture(scope='module')
def checkout(tmp_path_factory):
    "A clean copy of the checkout: tracked files and the untracked ones git does not ignore, with their dates."
    dest = tmp_path_factory.mktemp('checkout')
    files = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split('\0')
    for f in filter(None, files):
        if not (ROOT / f).is_file(): continue  # deleted in the working tree
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest / f)
    return dest


@pytest.fixture(scope='module')
def edition(checkout):
    "`make student` in the clean copy: the student project it writes."
    # The student Makefile would build a virtual environment at VENV if this were missing.
    assert (VENV / 'bin' / 'nbdev_export').is_file(), f'run the tests from the virtual environment of `make setup`, not {VENV}'
    p = run(MAKE + ['student'], checkout)
    assert p.returncode == 0, p.stdout + p.stderr
    return checkout / 'student'


@pytest.fixture(scope='module')
def plans(checkout):
    "The tool's plan of every notebook: which functions are stubbed and which kept."
    return se.plan(checkout / 'nbs')[0]


def cells_by_id(path): return {c.id: c for c in read_nb(path).cells}


def stubbed(plans): return [(p, d) for p in plans for d in p.defs if d.action == 'stub']


CELL = """from fastcore.basics import patch
_SIZE = 3

def _check(x):
    "Raise unless `x` is set."
    if x is None: raise ValueError("x is None")

def area(w, # width
         h, # height
        ): # w * h
    "Return the area."
    _check(w)
    a = w * h  # the product
    return a

    # a comment that ends the body

def one(x): return x + 1

class Box:
    "A box."
    size = 3
    def __init__(self, n): self.n = n
    def grow(self, k):
        "Grow by k."
        self.n += k
    def _shrink(self): self.n -= 1

class _Base:
    def __init__(self): self.x = 1

@patch(as_prop=True)
def double(self:Box):
    "Twice n."
    return 2 * self.n
"""

STUB = '    # YOUR CODE HERE\n    raise NotImplementedError("{}: write its code in nbs/x.ipynb, then run `make export`")'
STUDENT = f"""from fastcore.basics import patch
_SIZE = 3

def _check(x):
    "Raise unless `x` is set."
    if x is None: raise ValueError("x is None")

def area(w, # width
         h, # height
        ): # w * h
    "Return the area."
    _check(w)
{STUB.format('area')}

def one(x):
{STUB.format('one')}

class Box:
    "A box."
    size = 3
    def __init__(self, n):
{STUB.format('Box.__init__').replace('    ', '        ')}
    def grow(self, k):
        "Grow by k."
{STUB.format('Box.grow').replace('    ', '        ')}
    def _shrink(self): self.n -= 1

class _Base:
    def __init__(self): self.x = 1

@patch(as_prop=True)
def double(self:Box):
    "Twice n."
{STUB.format('Box.double')}
"""


def edit(source, mode=None, names={}, stubbed=None):
    "The student version of a cell's `source` under the default rules, a cell `mode` and per-name `names`."
    defs = se.plan_cell(ast.parse(source), None, mode, names, 'cell')
    return se.stub_source(source, defs, stubbed or {d.node.name for d in defs if d.action == 'stub'}, 'nbs/x.ipynb')


def test_default_rules():
    "Public functions, methods and __init__ are stubbed, keeping decorators, signature, comments, docstring and given checks."
    assert edit(CELL) == STUDENT


def test_directives():
    "`#| student` modes and names override the defaults; a name the cell does not define is an error."
    assert edit(CELL, 'keep') == CELL
    stubbed = edit(CELL, 'stub')
    assert 'raise NotImplementedError("_check: ' in stubbed and 'NotImplementedError("_Base.__init__: ' in stubbed
    assert '    _check(w)\n' not in stubbed  # a stubbed helper is not a given one
    named = edit(CELL, names={'_check': 'stub', 'Box': 'keep', 'Box.double': 'keep'})
    assert 'NotImplementedError("_check: ' in named and 'NotImplementedError("Box' not in named
    assert se.student_directives('#| export\n#| student stub _check\n#| student keep\nx = 1') == ('keep', {'_check': 'stub'})
    with pytest.raises(ValueError, match="does not define"): edit(CELL, names={'are': 'keep'})
    with pytest.raises(ValueError, match="needs one of"): se.student_directives('#| student stubb\nx = 1')


def test_project(edition, checkout):
    "The project has its own settings, Makefile and notebooks, and a package exported from them with every public name."
    for f in ('settings.ini', 'Makefile', 'README.md', 'pytest.ini', 'conftest.py', 'grade.py', 'setup.py'):
        assert (edition / f).is_file(), f
    assert not (edition / '.venv').exists(), 'make student built a second virtual environment'
    assert [p.name for p in se.notebooks(edition / 'nbs')] == [p.name for p in se.notebooks(checkout / 'nbs')]
    modules = sorted(p.name for p in (checkout / 'nndl').glob('*.py'))
    assert sorted(p.name for p in (edition / 'nndl').glob('*.py')) == modules
    for m in modules:
        if m.startswith('_'): continue
        names = lambda root: [n for n in ast.parse((root / 'nndl' / m).read_text()).body if isinstance(n, ast.Assign)
                              and getattr(n.targets[0], 'id', '') == '__all__']
        assert ast.literal_eval(names(edition)[0].value) == ast.literal_eval(names(checkout)[0].value), m


def student_markdown(nb):
    "The markdown cells of a course notebook as the edition should have them: solutions out, marked cells out."
    kept = [se.strip_solutions(c.source) for c in nb.cells if c.cell_type == 'markdown' and not se.removed_markdown(c.source)]
    return [m for m in kept if m.strip()]


def test_notebooks_keep_markdown_lose_outputs(edition, checkout):
    "Every markdown cell is there unchanged, but for the solutions; code cells have no outputs and no `#| student` marker."
    for ref in se.notebooks(checkout / 'nbs'):
        nb = read_nb(edition / 'nbs' / ref.name)
        assert [c.source for c in nb.cells if c.cell_type == 'markdown'] == student_markdown(read_nb(ref)), ref.name
        for c in nb.cells:
            if c.cell_type != 'code': continue
            assert c.outputs == [] and c.execution_count is None, (ref.name, c.source[:80])
            assert not any(se._DIRECTIVE.match(l) for l in c.source.splitlines()), (ref.name, c.source[:80])


SOLUTIONS = """Two exercises.

1. Derive it.

<details class="solution"><summary>Solution to exercise 1</summary>

By the chain rule, $dx = \\text{dout}$:

<details><summary>a detail inside</summary>

```python
dx = dout
```

</details>

</details>

2. Explain it.

<details class='hint solution'>
Because.
</details>

<details class="notes"><summary>Notes</summary>

Not a solution: kept.

</details>"""


def test_strip_solutions():
    "Solution blocks go, nested details included; other details and the exercises stay; an unclosed block is an error."
    out = se.strip_solutions(SOLUTIONS)
    assert out == """Two exercises.

1. Derive it.

2. Explain it.

<details class="notes"><summary>Notes</summary>

Not a solution: kept.

</details>"""
    assert se.strip_solutions('No solution here.\n\n\n') == 'No solution here.\n\n\n'  # untouched
    assert se.strip_solutions('<details class="solution"><summary>S</summary>\n\nx\n\n</details>') == ''
    with pytest.raises(ValueError, match="line 3 has no closing </details>"):
        se.strip_solutions('Text.\n\n<details class="solution"><summary>S</summary>\n\nx\n', 'nb cell 5')
    assert se.removed_markdown('<!-- #| student remove -->\n**Find the bug.**')
    assert not se.removed_markdown('**Find the bug.**\n<!-- #| student remove -->')


def solution_blocks(source):
    "The text of the solution blocks of a markdown cell: the difference between it and its stripped version."
    stripped = set(se.strip_solutions(source).splitlines())
    return [l for l in source.splitlines() if l not in stripped]


def test_exercises_stay_solutions_go(edition, checkout):
    """Every notebook's exercises are in its student copy; no solution block, no find-the-bug cell and no line
    of either is anywhere under student/ (lines that the course also has outside them excepted)."""
    hidden, shown, n_solutions, n_bugs = set(), set(), 0, 0
    for ref in se.notebooks(checkout / 'nbs'):
        cells = [c for c in read_nb(ref).cells if c.cell_type == 'markdown']
        exercises = [c.source for c in cells if '**Exercise' in c.source]
        text = '\n'.join(c.source for c in read_nb(edition / 'nbs' / ref.name).cells)
        for ex in exercises: assert se.strip_solutions(ex) in text, f'{ref.name}: its exercises are missing'
        for c in cells:
            gone = c.source.splitlines() if se.removed_markdown(c.source) else solution_blocks(c.source)
            n_solutions += c.source.count('class="solution"')
            n_bugs += se.removed_markdown(c.source)
            hidden.update(l.strip() for l in gone if len(l.strip()) > 20)
            shown.update(l.strip() for l in se.strip_solutions(c.source).splitlines() if not se.removed_markdown(c.source))
        shown.update(l.strip() for c in read_nb(ref).cells if c.cell_type == 'code' for l in c.source.splitlines())
    assert n_solutions >= 40 and n_bugs >= 5, (n_solutions, n_bugs)  # the course has them: the test is not vacuous
    distinctive = hidden - shown
    found = []
    for f in edition.rglob('*'):
        if not f.is_file() or {'.venv', '__pycache__'} & set(f.parts): continue
        try: text = f.read_text()
        except UnicodeDecodeError: continue
        if f.suffix == '.ipynb': text = '\n'.join(c.source for c in read_nb(f).cells)
        assert 'class="solution"' not in text and '#| student remove' not in text, f
        found += [(str(f.relative_to(edition)), l.strip()) for l in text.splitlines() if l.strip() in distinctive]
    assert not found, found[:10]


def test_reference_package_carries_no_marker(checkout):
    "nbdev drops the `#| student` lines from the exported package, like every leading directive."
    assert any(se._DIRECTIVE.match(l) for p in se.notebooks(checkout / 'nbs')
               for c in read_nb(p).cells for l in c.source.splitlines()), 'no marker left to test'
    for f in (checkout / 'nndl').glob('*.py'):
        assert '#| student' not in f.read_text() and 'YOUR CODE HERE' not in f.read_text(), f.name


def header_and_docstring(source, qualname):
    "The text of the def `qualname` in `source` from its first decorator to the end of its docstring."
    for d, _, _ in se.cell_defs(ast.parse(source)):
        if d.qualname != qualname: continue
        node, lines, first = d.node, source.split('\n'), d.node.body[0]
        start = (node.decorator_list[0] if node.decorator_list else node).lineno
        doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
        return '\n'.join(lines[start - 1:first.end_lineno if doc else first.lineno - 1]), node
    raise KeyError(qualname)


def test_stubs_keep_signature_docments_and_docstring(edition, plans):
    "Each stub has the reference's decorators, signature, docments comments and docstring verbatim, then the stub."
    assert stubbed(plans)
    for p, d in stubbed(plans):
        cell = next(c for c, defs, _ in p.cells if defs and d in defs)
        ref_text, _ = header_and_docstring(se.without_student_directives(cell.source), d.qualname)
        text, node = header_and_docstring(cells_by_id(edition / 'nbs' / p.path.name)[cell.id].source, d.qualname)
        assert text.removesuffix('# YOUR CODE HERE').rstrip() == ref_text.rstrip(), d.qualname  # no docstring: the comment
        last = node.body[-1]
        assert isinstance(last, ast.Raise) and last.exc.func.id == 'NotImplementedError', d.qualname
        assert last.exc.args[0].value.startswith(f'{d.qualname}: '), d.qualname


def public(node): return not se.private(node.name)


def test_no_solution_line_under_student(edition, checkout, plans):
    "No line of a stubbed body appears anywhere under student/, unless the reference has it outside those bodies."
    solution, ranges, stubs = set(), {}, se.plan(checkout / 'nbs')[1]
    for p, d in stubbed(plans):
        body = [s for s in d.node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        while body and se.calls_given_helper(body[0], stubs(d.module)): body.pop(0)
        cell = next(c for c, defs, _ in p.cells if defs and d in defs)
        lines = se.without_student_directives(cell.source).split('\n')
        for s in body:
            solution.update(l.strip() for l in lines[s.lineno - 1:s.end_lineno] if l.strip())
            ranges.setdefault(id(cell), set()).update(range(s.lineno - 1, s.end_lineno))
    elsewhere = set()
    for p in plans:
        for c, _, _ in p.cells:
            if c.cell_type != 'code': continue
            lines = se.without_student_directives(c.source).split('\n')
            elsewhere.update(l.strip() for i, l in enumerate(lines) if i not in ranges.get(id(c), ()))
    distinctive = solution - elsewhere
    assert len(distinctive) > 50, 'too few solution lines: is the plan empty?'
    found = []
    for f in edition.rglob('*'):
        if not f.is_file() or {'.venv', '__pycache__'} & set(f.parts): continue
        if f.suffix == '.ipynb': lines = [l for c in read_nb(f).cells for l in c.source.splitlines()]
        else:
            try: lines = f.read_text().splitlines()
            except UnicodeDecodeError: continue
        found += [(str(f.relative_to(edition)), l.strip()) for l in lines if l.strip() in distinctive]
    assert not found, found[:10]


def test_every_public_function_is_stubbed(edition, checkout, plans):
    "In the student's exported package, every public function and method raises NotImplementedError, unless marked keep."
    kept = {d.qualname for p in plans for d in p.defs if d.action == 'keep' and public(d.node)}
    n = 0
    for f in (edition / 'nndl').glob('[!_]*.py'):
        for d, owner_private, _ in se.cell_defs(ast.parse(f.read_text())):
            if owner_private or not public(d.node) or d.qualname in kept: continue
            last = d.node.body[-1]
            assert isinstance(last, ast.Raise) and 'NotImplementedError' in ast.unparse(last), f'{f.name}: {d.qualname}'
            n += 1
    assert n == sum(public(d.node) for _, d in stubbed(plans))


def grade(project, notebooks, *opts, env=None):
    "`make check` in `project` on `notebooks`; return the process and the grade it wrote as JSON."
    out = project / 'grade.json'
    env = {'PYTEST_ADDOPTS': ' '.join([f'--grade-json={out}', *opts]), **(env or {})}
    p = run(MAKE + ['check', f"NB={' '.join(f'nbs/{n}.ipynb' for n in notebooks)}"], project, env)
    assert out.exists(), p.stdout + p.stderr
    return p, json.loads(out.read_text())


# Run in the student project with PYTHONPATH set as its Makefile does: each notebook in an IPython shell of
# its own (execnb, as nbdev_test runs notebooks), up to its first exception; one process for all of them.
FIRST_ERRORS = """
import json, os, sys
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
from course_conftest import is_slow
import nndl
errors = {'nndl': nndl.__file__}
os.chdir('nbs')
for name in sys.argv[1:]:
    shell, errors[name] = CaptureShell(), None
    for cell in read_nb(name).cells:
        if cell.cell_type != 'code' or is_slow(cell.source): continue
        shell.run(cell.source)
        if shell.exc is not None:
            errors[name] = (type(shell.exc).__name__, str(shell.exc))
            break
print(json.dumps(errors))
"""


def test_each_notebook_stops_at_its_first_stub(edition, plans):
    """Run, each notebook fails first with NotImplementedError from a stub (no NameError, no import error).

    Only a notebook with no stub of its own that uses no stubbed function (one given whole) may pass."""
    names = {d.qualname for _, d in stubbed(plans)}
    p = run([sys.executable, '-c', FIRST_ERRORS, *(p.path.name for p in plans)], edition, {'PYTHONPATH': str(edition)})
    assert p.returncode == 0, p.stderr
    errors = json.loads(p.stdout.splitlines()[-1])
    assert errors.pop('nndl') == str(edition / 'nndl' / '__init__.py')
    for plan in plans:
        error = errors[plan.path.name]
        if error is None:
            assert not se.answer_cells(plan), f'{plan.path.name}: it ran through, yet its stubs are not written'
            continue
        ename, msg = error
        assert ename == 'NotImplementedError' and msg.split(':')[0] in names, (plan.path.name, error)


def test_reference_code_passes_every_check(edition, checkout, tmp_path):
    "With the reference pasted into the answer cells (as a submission is regraded), every check passes."
    project = tmp_path / 'student'
    shutil.copytree(edition, project)
    se.paste_answers(project, checkout, checkout / 'nbs')
    full = os.environ.get('NNDL_SLOW') == '1' or os.environ.get('NNDL_STUDENT_ALL') == '1'
    nbs = [p.stem for p in se.notebooks(project / 'nbs')] if full else REPRESENTATIVE
    # The student's kernels import the student's nndl, the one exported in the project, not the reference's.
    where = read_nb(project / 'nbs' / '01_affine.ipynb')
    where.cells = [c for c in where.cells if c.cell_type == 'code'][:1]
    where.cells[0].source = f"import nndl.layers\nassert nndl.layers.__file__ == {str(project / 'nndl' / 'layers.py')!r}"
    write_nb(where, project / 'nbs' / '_where.ipynb')
    p, g = grade(project, ['_where'] + nbs, env={'NNDL_SLOW': '0'})  # the slow cells run the same code again
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    for nb in nbs:
        r = g[f'nbs/{nb}.ipynb']
        assert r['checks'] > 0 and r['passed'] == r['checks'] and r['failed_cells'] == 0, (nb, r)
        # A check that did not run is a `#| slow` one (skipped with NNDL_SLOW=0), and the grade counts it apart.
        skipped = [c for c in r['cells'] if c['check'] and c['outcome'] == 'skipped']
        assert r['skipped'] == len(skipped) and all('#| slow' in c['error'] for c in skipped), (nb, skipped)
