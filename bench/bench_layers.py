"""Layer benchmarks: the closed-form batchnorm backward against the graph version, and the affine layer."""
import numpy as np

from nndl.layers import affine_backward, affine_forward, batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from timing import time_blocks


def rows(smoke=False):
    "The benchmark's table rows: (case, result, target, met: True/False/None)."
    N, D, M = (20, 30, 10) if smoke else (1000, 500, 100)
    reps = dict(repeats=3, block=2, pause=0) if smoke else dict(repeats=15, block=10, pause=0.1)
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((N, D)), rng.standard_normal((N, D))
    _, cache = batchnorm_forward(x, rng.standard_normal(D), rng.standard_normal(D), {'mode': 'train'})
    ms = time_blocks({'graph': lambda: batchnorm_backward(dout, cache),
                      'alt': lambda: batchnorm_backward_alt(dout, cache)}, **reps)
    speedup = ms['graph'] / ms['alt']
    out = [(f'batchnorm backward ({N}, {D}), float64: closed form vs graph',
            f"{ms['alt']:.2f} ms vs {ms['graph']:.2f} ms: {speedup:.2f}x faster", '> 1x', None if smoke else speedup > 1)]
    shape, M = ((8, 3, 2, 2), 10) if smoke else ((100, 3, 32, 32), 100)
    xa = rng.standard_normal(shape)
    w, b, da = rng.standard_normal((xa[0].size, M)), rng.standard_normal(M), rng.standard_normal((shape[0], M))
    _, cache = affine_forward(xa, w, b)
    ms = time_blocks({'forward': lambda: affine_forward(xa, w, b), 'backward': lambda: affine_backward(da, cache)}, **reps)
    out.append((f'affine {shape} -> {M}, float64: forward, backward',
                f"{ms['forward']:.3f} ms, {ms['backward']:.3f} ms", '', None))
    return out
