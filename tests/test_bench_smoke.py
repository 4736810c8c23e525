"""The benchmark runs: `bench/run.py --smoke` (tiny sizes, no timing targets), so that `make bench` cannot rot.

Timings are never asserted here: they depend on the machine and on its load (`make bench` asserts them).
Without PyTorch the PyTorch rows say they were skipped.
"""
import importlib.util, subprocess, sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / 'bench'


def test_bench_smoke():
    out = subprocess.run([sys.executable, str(BENCH / 'run.py'), '--smoke'], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == 'bench: smoke run, no targets', out.stdout
    table = [l for l in lines if l.startswith('| ')]
    for case in ('training step', 'BLAS floor', 'where the step goes: Adam', 'one epoch through the Solver',
                 'peak memory', 'batchnorm backward', 'conv A', 'max pool A'):
        assert any(case in row for row in table), f'no row for {case!r} in:\n{out.stdout}'
    if importlib.util.find_spec('torch') is None:
        assert any('skipped: torch is not installed' in row for row in table), out.stdout
    assert not any('| **no** |' in row for row in table), out.stdout  # a smoke run asserts no target
