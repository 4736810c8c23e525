"""Benchmarks of nndl's layers: `make bench`.

Timings belong here, not in the notebooks' checks: they depend on the machine and its load.
Each benchmark reports medians over interleaved repeats; a target that fails exits non-zero.
"""
import sys, time

import numpy as np

from nndl.layers import affine_backward, affine_forward, batchnorm_backward, batchnorm_backward_alt, batchnorm_forward


def median_ms(fns, repeats):
    "Median wall time in ms of each function in `fns`, calling them in turn so load hits all alike."
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def bench_batchnorm(N=1000, D=500, repeats=50):
    "The closed-form batchnorm backward must beat the graph version (issue: 'measurably faster')."
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((N, D)), rng.standard_normal((N, D))
    _, cache = batchnorm_forward(x, rng.standard_normal(D), rng.standard_normal(D), {'mode': 'train'})
    ms = median_ms({'graph': lambda: batchnorm_backward(dout, cache),
                    'alt': lambda: batchnorm_backward_alt(dout, cache)}, repeats)
    print(f"batchnorm backward ({N}, {D}): graph {ms['graph']:.2f} ms, closed form {ms['alt']:.2f} ms, "
          f"speed-up {ms['graph'] / ms['alt']:.2f}x")
    return ms['alt'] < ms['graph']


def bench_affine(N=100, D=3072, M=100, repeats=50):
    "Report the affine layer's forward and backward times at CIFAR-10 sizes (a report, no target)."
    rng = np.random.default_rng(0)
    x, w, b, dout = (rng.standard_normal(s) for s in [(N, 3, 32, 32), (D, M), (M,), (N, M)])
    _, cache = affine_forward(x, w, b)
    ms = median_ms({'forward': lambda: affine_forward(x, w, b), 'backward': lambda: affine_backward(dout, cache)}, repeats)
    print(f"affine ({N}, {D}) -> {M}: forward {ms['forward']:.3f} ms, backward {ms['backward']:.3f} ms")


if __name__ == '__main__':
    bench_affine()
    results = {'batchnorm closed form faster': bench_batchnorm()}
    failed = [name for name, ok in results.items() if not ok]
    print('bench: all targets met' if not failed else f'bench: FAILED {failed}')
    sys.exit(1 if failed else 0)
