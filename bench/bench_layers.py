"""Layer benchmarks: the closed-form batchnorm backward against the graph version, the affine layer, and Adam
updated in place against Adam written term by term."""
import numpy as np

from nndl.layers import affine_backward, affine_forward, batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from nndl.optim import adam
from timing import time_blocks


def adam_term_by_term(w, dw, config):
    "Adam as the equations read, a new array for every term: the reference for the in-place version of nndl.optim."
    lr, beta1, beta2, eps = config['learning_rate'], 0.9, 0.999, 1e-8
    t = config['t'] = config.get('t', 0) + 1
    config['v'] = beta1 * config.get('v', np.zeros_like(w)) + (1 - beta1) * dw
    config['a'] = beta2 * config.get('a', np.zeros_like(w)) + (1 - beta2) * dw ** 2
    v_hat, a_hat = config['v'] / (1 - beta1 ** t), config['a'] / (1 - beta2 ** t)
    return w - lr * v_hat / (np.sqrt(a_hat) + eps), config


def adam_rows(smoke, reps):
    "Adam over the parameters of the standard net (3072-512-512-10 with batchnorm), float32: in place vs term by term."
    shapes = [(48, 16), (16,), (16, 16), (16,), (16, 10), (10,)] if smoke else \
             [(3072, 512), (512,), (512, 512), (512,), (512, 10), (10,)] + [(512,)] * 4
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    def runner(rule):
        params, configs = [rng.standard_normal(s, dtype=np.float32) for s in shapes], [{'learning_rate': 1e-3} for s in shapes]
        def run():
            for i, g in enumerate(grads): params[i], configs[i] = rule(params[i], g, configs[i])
        return run
    ms = time_blocks({'in place': runner(adam), 'term by term': runner(adam_term_by_term)}, **reps)
    n = sum(int(np.prod(s)) for s in shapes)
    return [(f'Adam over {n:,} float32 parameters: in place (nndl.optim) vs term by term',
             f"{ms['in place']:.2f} ms vs {ms['term by term']:.2f} ms: {ms['term by term'] / ms['in place']:.2f}x faster",
             '> 1x', None if smoke else ms['in place'] < ms['term by term'])]


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
    return out + adam_rows(smoke, reps)
