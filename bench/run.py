"""nndl's benchmarks as one table: `make bench` (targets asserted); `--smoke` runs tiny sizes with no targets (`make test` does).

Usage: python bench/run.py [--smoke] [--write]. With --write the table and the machine it was measured
on go into the last section of bench/README.md, which the docs site shows. Timings live here, never in the tests: they
depend on the machine and on its load.
"""
import sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_conv, bench_layers, bench_step
from timing import load_average, machine, scheduling

SECTIONS = [('The training step of the standard fully connected net', bench_step),
            ('Layers: batch normalization, affine; the optimizer', bench_layers),
            ('Layers: convolution and max pooling (the ConvNet chapter)', bench_conv)]
README = Path(__file__).parent / 'README.md'
MARK = '<!-- written by bench/run.py --write; the site shows what follows -->'


def table(sections):
    "A Markdown table of every section's rows."
    lines = ['| case | result | target | met |', '| --- | --- | --- | --- |']
    for title, rows in sections:
        lines.append(f'| **{title}** | | | |')
        for case, result, target, ok in rows:
            lines.append(f"| {case} | {result} | {target} | {'' if ok is None else ('yes' if ok else '**no**')} |")
    return '\n'.join(lines)


def main(argv):
    smoke = '--smoke' in argv
    where, load_before, start = machine(), load_average(), time.perf_counter()
    done = [(title, mod.rows(smoke)) for title, mod in SECTIONS]
    text = table(done)
    load = f'1-minute load average {load_before:.2f} at the start, {load_average():.2f} at the end{scheduling()}'
    print(f'Machine: {where}\n{load}\n\n{text}\n\n({time.perf_counter() - start:.0f} s)')
    if '--write' in argv and not smoke:  # README.md's text up to the mark stays, the results after it are replaced
        kept = README.read_text().split(MARK)[0]
        README.write_text(f'{kept}{MARK}\nMeasured on {time.strftime("%Y-%m-%d")}. Machine: {where}; {load}.\n\n{text}\n')
    missed = [case for _, rows in done for case, _, _, ok in rows if ok is False]
    print('bench: smoke run, no targets' if smoke else
          ('bench: all targets met' if not missed else 'bench: MISSED ' + '; '.join(missed)))
    return 1 if missed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
