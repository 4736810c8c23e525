"""Write the student edition of the course: the notebooks with the code of every exported public function
taken out, as a project of its own that exports the student's `nndl` and grades it by re-running the checks.

Usage: python tools/student_edition.py DEST [--code-from DIR]
`make student` writes DEST = student/. With --code-from, the cells the student writes in (the answer cells,
matched by cell id) are taken from the notebooks in DIR/nbs: a student's submission, regraded against the
pristine checks with `make -C DEST check`.

The rules, and the `#| student` directive that overrides them, are described on the instructors' page
(docs/instructors.md). In short: in `#| export` cells every function and method with a public name
(`__init__` and the other dunders count as public) keeps its decorators, signature, docments comments and
docstring, and its body becomes `# YOUR CODE HERE` + `raise NotImplementedError("<name>: ...")`; private
helpers (`_name`), methods of private classes, imports and every other statement stay as they are, and so
do the calls to those kept helpers at the top of a stubbed body (validation, defaults, state). Outputs are
cleared; markdown stays, except the solutions of the exercises (`<details class="solution">` blocks) and
the markdown cells that start with `<!-- #| student remove -->` (the find-the-bug exercises, whose code is
the reference's with one line changed).
"""
import ast, re, shutil, sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from execnb.nbio import read_nb, write_nb

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / 'student_template'
ACTIONS = ('keep', 'stub', 'remove')
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*student(?:\s+(.*?))?\s*$')
_EXPORT = re.compile(r'^\s*#\s*\|\s*export[is]?(\s|$)')
# In markdown: a solution is a `<details>` block whose class list has `solution`, from its opening line to
# the `</details>` that closes it; a cell whose first line is this comment is left out of the edition.
_SOLUTION_OPEN = re.compile(r'^\s*<details\b[^>]*\bclass\s*=\s*(["\'])(?:[^"\']*\s)?solution(?:\s[^"\']*)?\1')
_DETAILS_OPEN, _DETAILS_CLOSE = re.compile(r'<details\b', re.I), re.compile(r'</details\s*>', re.I)
_MD_REMOVE = re.compile(r'^\s*<!--\s*#\s*\|\s*student\s+remove\s*-->\s*$')
_DEFAULT_EXP = re.compile(r'^\s*#\s*\|\s*default_exp(\s|$)')
# Packages only the site and publishing need: the student project does without them.
SITE_ONLY = ('sphinx', 'myst-', 'pydata-sphinx-theme', 'selenium', 'ghp-import', 'build')


def private(name):
    "Whether `name` is private: a leading underscore, except dunders (`__init__` is part of a class's interface)."
    return name.startswith('_') and not (name.startswith('__') and name.endswith('__'))


def leading_directives(source):
    "The leading `#|` lines of a cell (its nbdev directives), and the rest."
    lines = source.splitlines(True)
    n = 0
    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith('#|')): n += 1
    return lines[:n], lines[n:]


def student_directives(source):
    "Return `(cell action or None, {name: action})` from the cell's `#| student <action> [names...]` lines."
    cell, names = None, {}
    for line in leading_directives(source)[0]:
        m = _DIRECTIVE.match(line)
        if m is None: continue
        action, *targets = (m.group(1) or '').split()
        if action not in ACTIONS:
            raise ValueError(f"#| student needs one of {', '.join(ACTIONS)}, got {line.strip()!r}")
        if action == 'remove' and targets: raise ValueError(f"#| student remove takes no names: {line.strip()!r}")
        if targets: names.update(dict.fromkeys(targets, action))
        else: cell = action
    return cell, names


def without_student_directives(source):
    "The cell's source without its `#| student` lines."
    head, body = leading_directives(source)
    return ''.join([l for l in head if not _DIRECTIVE.match(l)] + body)


def is_export(source): return any(_EXPORT.match(l) for l in leading_directives(source)[0])
def is_default_exp(source): return any(_DEFAULT_EXP.match(l) for l in leading_directives(source)[0])


def directive_arg(source, pattern, default=None):
    "The first argument of the cell's directive matching `pattern` (`#| export layers` gives 'layers'), else `default`."
    for line in leading_directives(source)[0]:
        m = pattern.match(line)
        if m: return (line[m.end():].split() or [default])[0]
    return default


def strip_solutions(source, where='markdown'):
    "The markdown `source` without its solution blocks (`<details class=\"solution\">` ... `</details>`), nested ones included."
    lines, out, depth, start, removed = source.splitlines(True), [], 0, None, False
    for i, line in enumerate(lines):
        if depth == 0 and _SOLUTION_OPEN.match(line): start = i
        if start is None:
            if not (removed and out and not line.strip() and not out[-1].strip()): out.append(line)  # one blank line where a block was
            continue
        depth += len(_DETAILS_OPEN.findall(line)) - len(_DETAILS_CLOSE.findall(line))
        if depth <= 0: start, depth, removed = None, 0, True
    if start is not None: raise ValueError(f"{where}: the solution block opened on line {start + 1} has no closing </details>")
    return ''.join(out).rstrip() if removed else source


def removed_markdown(source):
    "Whether a markdown cell is marked for removal by a first line `<!-- #| student remove -->`."
    first = next((l for l in source.splitlines() if l.strip()), '')
    return bool(_MD_REMOVE.match(first))


@dataclass
class Def:
    "A function or method of a cell, and what the edition does with it."
    node: ast.AST
    qualname: str  # 'affine_forward', or 'Solver.train' for a method (in a class body or added with @patch)
    names: set  # the names a `#| student` directive may call it by
    action: str = 'keep'
    module: str = None  # the module of the package it is exported to


def patched_classes(node):
    "The classes a `@patch` function is added to, from the annotation of its first argument."
    if not any(re.match(r'patch\b', ast.unparse(d)) for d in node.decorator_list): return []
    args = node.args.posonlyargs + node.args.args
    ann = args[0].annotation if args else None
    if ann is None: return []
    elts = ann.elts if isinstance(ann, ast.Tuple) else [ann]
    return [ast.unparse(e) for e in elts]


def cell_defs(tree):
    "Yield `(Def, in a private class, class name or None)` for every top-level function and method of a cell."
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, funcs):
            classes = patched_classes(node)
            qual = f'{classes[0]}.{node.name}' if classes else node.name
            yield Def(node, qual, {node.name, *(f'{c}.{node.name}' for c in classes)}), False, None
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, funcs):
                    yield Def(sub, f'{node.name}.{sub.name}', {f'{node.name}.{sub.name}'}), private(node.name), node.name


def plan_cell(tree, nb_mode, cell_mode, names, where):
    "Decide `keep` or `stub` for every function and method of a cell: named > cell > notebook > default rule."
    defs, unused = [], set(names)
    for d, owner_private, cls in cell_defs(tree):
        named = [n for n in (*d.names, cls) if n in names]
        unused -= set(named)
        if named: d.action = names[named[0]]
        elif cell_mode in ('keep', 'stub'): d.action = cell_mode
        elif nb_mode in ('keep', 'stub'): d.action = nb_mode
        else: d.action = 'keep' if owner_private or private(d.node.name) else 'stub'
        defs.append(d)
    if unused: raise ValueError(f"{where}: #| student names {sorted(unused)}, which this cell does not define")
    return defs


def calls_given_helper(stmt, stubbed):
    "Whether `stmt` is `[targets =] _helper(...)` or `self._helper(...)`, a private helper the edition keeps."
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr)) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        name = f.id if isinstance(f, ast.Name) else f.attr if (
            isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == 'self') else None
        return name is not None and private(name) and name not in stubbed
    return False


def body_end(node, lines):
    "The last line (1-based) of `node`, with the comment lines indented under it that follow its last statement."
    end = node.end_lineno
    k = end
    while k < len(lines) and (not lines[k].strip() or (lines[k].lstrip().startswith('#')
                              and len(lines[k]) - len(lines[k].lstrip()) > node.col_offset)): k += 1
    while k > end and not lines[k - 1].strip(): k -= 1
    return k


def stub(d, lines, stubbed, nb_file):
    "Return `(first line, last line, new lines)`: `d` with its body replaced by a stub."
    node, body = d.node, d.node.body
    start = (node.decorator_list[0] if node.decorator_list else node).lineno
    first = body[0]
    before = lines[first.lineno - 1][:first.col_offset]
    if before.strip():  # one-line def: `def f(x): return x`
        head, indent = lines[start - 1:first.lineno - 1] + [before.rstrip()], ' ' * (node.col_offset + 4)
        segment = lambda s: [indent + ast.get_source_segment('\n'.join(lines), s)]
    else:
        head, indent = lines[start - 1:first.lineno - 1], before
        segment = lambda s: lines[s.lineno - 1:s.end_lineno]
    rest = list(body)
    kept = []
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        kept += segment(rest.pop(0))  # the docstring
    while rest and calls_given_helper(rest[0], stubbed): kept += segment(rest.pop(0))
    msg = f"{d.qualname}: write its code in {nb_file}, then run `make export`"
    new = head + kept + [f'{indent}# YOUR CODE HERE', f'{indent}raise NotImplementedError("{msg}")']
    return start, body_end(node, lines), new


def stub_source(source, defs, stubbed, nb_file):
    "The cell's source with every def planned `stub` replaced by its stub."
    lines = source.split('\n')
    for d in sorted((d for d in defs if d.action == 'stub'), key=lambda d: -d.node.lineno):
        start, end, new = stub(d, lines, stubbed, nb_file)
        lines[start - 1:end] = new
    out = '\n'.join(lines)
    ast.parse(out)  # a stub that is not valid Python is a bug of this tool, not the student's
    return out


@dataclass
class Notebook:
    "One notebook of the course and the plan of its student edition."
    path: Path
    nb: dict
    cells: list = field(default_factory=list)  # (cell, defs or None, action) per cell

    @property
    def defs(self): return [d for _, defs, _ in self.cells for d in defs or []]


def plan_notebook(path):
    "Read a notebook and decide, cell by cell, what its student edition keeps, stubs and removes."
    nb = read_nb(path)
    nb_mode = next((student_directives(c.source)[0] for c in nb.cells
                    if c.cell_type == 'code' and is_default_exp(c.source)), None)
    plan = Notebook(path, nb)
    default_module = next((directive_arg(c.source, _DEFAULT_EXP) for c in nb.cells
                           if c.cell_type == 'code' and is_default_exp(c.source)), None)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != 'code':
            if cell.cell_type == 'markdown': strip_solutions(cell.source, f'{path.name} cell {i}')  # unclosed: an error now
            plan.cells.append((cell, None, 'remove' if cell.cell_type == 'markdown' and removed_markdown(cell.source) else 'keep'))
            continue
        where = f'{path.name} cell {i}'
        mode, names = student_directives(cell.source)
        if is_default_exp(cell.source): mode = None  # the notebook's default, applied above
        if mode == 'remove':
            if is_export(cell.source): raise ValueError(f"{where}: an exported cell cannot be removed (the package needs it)")
            plan.cells.append((cell, None, 'remove'))
            continue
        if not is_export(cell.source) and mode is None and not names:
            plan.cells.append((cell, None, 'keep'))
            continue
        try: tree = ast.parse(without_student_directives(cell.source))
        except SyntaxError:
            if names or mode == 'stub': raise ValueError(f"{where}: #| student on a cell that is not plain Python")
            plan.cells.append((cell, None, 'keep'))  # IPython magics: nothing to stub
            continue
        defs = plan_cell(tree, nb_mode if is_export(cell.source) else None, mode, names, where)
        for d in defs: d.module = directive_arg(cell.source, _EXPORT, default_module)
        plan.cells.append((cell, defs, 'keep'))
    return plan


def student_notebook(plan, stubbed):
    "The student's copy of a planned notebook: stubs in; `#| student` lines, outputs and solutions out."
    nb = plan.nb
    cells = []
    for cell, defs, action in plan.cells:
        if action == 'remove': continue
        if cell.cell_type == 'markdown':
            cell.source = strip_solutions(cell.source)
            if not cell.source.strip(): continue  # a cell of solutions only
        if cell.cell_type == 'code':
            source = without_student_directives(cell.source)
            if defs: source = stub_source(source, defs, stubbed(defs[0].module), f'nbs/{plan.path.name}')
            cell.source, cell.outputs, cell.execution_count = source, [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def notebooks(nbs_path):
    "The course's notebooks: every `.ipynb` in nbs/ but the scratch ones (`_name`)."
    return sorted(p for p in nbs_path.glob('*.ipynb') if not p.name.startswith(('_', '.')))


def settings(text):
    "The course's settings.ini for the student project: the same package, without the site's dependencies."
    def trim(m):
        keep = [r for r in m.group(2).split() if not re.match(r'(%s)' % '|'.join(map(re.escape, SITE_ONLY)), r)]
        return m.group(1) + ' '.join(keep)
    return re.sub(r'^(dev_requirements\s*=\s*)(.*)$', trim, text, flags=re.M)


def copy_project(dest):
    "The files of the student project that are not notebooks: set-up, Makefile, grading, data script."
    (dest / 'settings.ini').write_text(settings((ROOT / 'settings.ini').read_text()))
    for name in ('setup.py', 'pyproject.toml', 'LICENSE'): shutil.copy(ROOT / name, dest / name)
    shutil.copy(ROOT / 'conftest.py', dest / 'course_conftest.py')  # `#| slow` cells skipped, as in the course
    for f in TEMPLATE.iterdir():
        if f.is_file(): shutil.copy(f, dest / ('.gitignore' if f.name == 'gitignore' else f.name))
    (dest / 'datasets').mkdir(exist_ok=True)
    for f in (ROOT / 'datasets').iterdir():
        if f.is_file() and not f.name.endswith('.tar.gz'): shutil.copy(f, dest / 'datasets' / f.name)


def clear(dest):
    "Empty `dest` for a new edition, keeping a virtual environment made in it (`make setup` there)."
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()) and not (dest / 'grade.py').exists():
        raise SystemExit(f"{dest} is not empty and holds no student edition: choose another folder")
    for p in dest.iterdir():
        if p.name == '.venv': continue
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


def plan(nbs_path=ROOT / 'nbs'):
    "Plan every notebook; return the plans and `stubbed(module)`, the names a call in `module` reaches that are stubs."
    plans = [plan_notebook(p) for p in notebooks(nbs_path)]
    stubs, defined = defaultdict(set), defaultdict(set)
    for d in (d for p in plans for d in p.defs):
        defined[d.module].add(d.node.name)
        if d.action == 'stub': stubs[d.module].add(d.node.name)
    anywhere = set().union(*stubs.values())
    # A name defined in the module is that module's; any other one may come from any module (an import).
    return plans, lambda module: stubs[module] | (anywhere - defined[module])


def summary(p):
    "One line per notebook: what the student writes, and the exported helpers given with it."
    stubs = [d.qualname for d in p.defs if d.action == 'stub']
    given = [d.qualname for d in p.defs if d.action == 'keep']
    line = f"  {p.path.stem}: write {', '.join(stubs) or 'nothing'}"
    return line + (f"; given {', '.join(given)}" if given else '')


def answer_cells(p):
    "The ids of a notebook's cells in which the student writes code: those with a stub."
    return {cell.id for cell, defs, _ in p.cells if any(d.action == 'stub' for d in defs or [])}


def paste_answers(project, code_from, nbs_path=ROOT / 'nbs'):
    "Put the answer cells of the notebooks in `code_from`/nbs (a submission, or the course) into `project`'s notebooks, matched by cell id."
    for p in plan(nbs_path)[0]:
        theirs = code_from / 'nbs' / p.path.name
        if not theirs.exists(): continue
        ids = answer_cells(p)
        answers = {c.id: c.source for c in read_nb(theirs).cells if c.get('id') in ids}
        nb = read_nb(project / 'nbs' / p.path.name)
        for c in nb.cells:
            if c.get('id') in answers: c.source = without_student_directives(answers[c.id])
        write_nb(nb, project / 'nbs' / p.path.name)


def main(dest, code_from=None):
    dest = Path(dest).resolve()
    if dest == ROOT: raise SystemExit("the student edition needs a folder of its own")
    plans, stubbed = plan()
    clear(dest)
    copy_project(dest)
    (dest / 'nbs').mkdir()
    for f in (ROOT / 'nbs').iterdir():  # figures and other files the notebooks use
        if not f.name.startswith(('_', '.')) and f.suffix != '.ipynb':
            (shutil.copytree if f.is_dir() else shutil.copy)(f, dest / 'nbs' / f.name)
    print(f"Student edition in {dest}:")
    for p in plans:
        write_nb(student_notebook(p, stubbed), dest / 'nbs' / p.path.name)
        print(summary(p))
    if code_from is not None:
        paste_answers(dest, Path(code_from))
        print(f"with the code of the answer cells of {Path(code_from) / 'nbs'}")


if __name__ == '__main__':
    args = sys.argv[1:]
    if len(args) not in (1, 3) or (len(args) == 3 and args[1] != '--code-from'): raise SystemExit(__doc__.split('\n\n')[1])
    main(args[0], *args[2:])
