"""Benchmarks of the convolution and max-pooling layers (nndl.fast_layers): `python bench/bench_conv.py`.

At the shapes of the course's ConvNet, in float32, forward + backward:
- the fast convolution against the loop version (target: at least 100 times faster; the loops run
  on 2 examples and are scaled to the batch), against its own matrix-product floor (the three
  im2col products alone, timed with NumPy at the same shapes; target: at most 2.5 times that),
  and against PyTorch's conv2d (reported, no target);
- the fast max pooling against PyTorch's max_pool2d (target: at most 2 times).
PyTorch is optional: without it the PyTorch rows are skipped, with a message.

Timing: every contender runs in blocks of repeated calls, each block after a 0.2 s pause and one
warm-up call (OpenBLAS and PyTorch worker threads keep spinning for a while after a call and slow
whatever runs next), the contenders interleaved so that load hits them alike; a time is the median
over blocks. `--smoke` runs tiny sizes and asserts no target. The exit status is 1 if a target is
missed.
"""
import argparse, os, platform, sys, time

import numpy as np
from threadpoolctl import threadpool_info

from nndl.fast_layers import conv_backward_fast, conv_forward_fast, max_pool_backward_fast, max_pool_forward_fast
from nndl.layers import conv_backward_naive, conv_forward_naive

try:
    import torch
except ImportError:
    torch = None

TARGETS = {'naive / fast': 100, 'fast / floor': 2.5, 'pool fast / torch': 2.0}


def block_ms(fns, blocks=7, calls=5, pause=0.2):
    "Median over `blocks` of the mean time per call (ms) of each function, after a pause and a warm-up call."
    times = {name: [] for name in fns}
    for _ in range(blocks):
        for name, fn in fns.items():
            time.sleep(pause)
            fn()
            start = time.perf_counter()
            for _ in range(calls): fn()
            times[name].append((time.perf_counter() - start) / calls)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def conv_fast_step(x, w, b, conv_param, dout):
    "One forward and backward pass of the fast convolution."
    _, cache = conv_forward_fast(x, w, b, conv_param)
    return conv_backward_fast(dout, cache)


def products(x, w, conv_param):
    "The three im2col matrix products of one forward and backward pass alone, on ready-made operands."
    (N, C, H, W), (F, _, HH, WW), s, p = x.shape, w.shape, conv_param['stride'], conv_param['pad']
    K, P = C * HH * WW, ((H + 2 * p - HH) // s + 1) * ((W + 2 * p - WW) // s + 1)
    rng = np.random.default_rng(1)
    cols, dout, w_mat = (rng.standard_normal(shape, dtype=x.dtype) for shape in ((K, N * P), (F, N * P), (F, K)))
    return lambda: (w_mat @ cols, dout @ cols.T, w_mat.T @ dout)  # out, dw, dcols


def torch_conv_step(x, w, b, conv_param, dout):
    "A function running PyTorch's conv2d forward and backward on copies of the same arrays."
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)
    def step():
        out = torch.nn.functional.conv2d(xt, wt, bt, stride=conv_param['stride'], padding=conv_param['pad'])
        out.backward(dt)
        for t in (xt, wt, bt): t.grad = None
    return step


def check_against_torch(x, w, b, conv_param, dout):
    "Raise unless the fast convolution computes what PyTorch computes (float32 rounding apart)."
    out, cache = conv_forward_fast(x, w, b, conv_param)
    dx, dw, db = conv_backward_fast(dout, cache)
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv2d(xt, wt, bt, stride=conv_param['stride'], padding=conv_param['pad'])
    ref.backward(torch.tensor(dout, dtype=torch.float64))
    for mine, theirs in zip((out, dx, dw, db), (ref, xt.grad, wt.grad, bt.grad)):
        theirs = theirs.detach().numpy()
        scale = np.abs(theirs).max()
        assert np.abs(mine - theirs).max() <= 1e-4 * scale, 'fast convolution disagrees with PyTorch'


def bench_conv(name, x_shape, w_shape, pad, naive_n, blocks):
    "Time one convolution layer; return its table rows and the ratios that have targets."
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s, dtype=np.float32) for s in (x_shape, w_shape, w_shape[:1]))
    conv_param = {'stride': 1, 'pad': pad}
    dout = rng.standard_normal((x_shape[0], w_shape[0], *x_shape[2:]), dtype=np.float32)
    fns = {'fast': lambda: conv_fast_step(x, w, b, conv_param, dout), 'floor': products(x, w, conv_param)}
    if torch is not None:
        check_against_torch(x, w, b, conv_param, dout)
        fns['torch'] = torch_conv_step(x, w, b, conv_param, dout)
    ms = block_ms(fns, blocks=blocks)
    start = time.perf_counter()  # the loops: one pass on a few examples, scaled to the batch
    _, cache = conv_forward_naive(x[:naive_n], w, b, conv_param)
    conv_backward_naive(dout[:naive_n], cache)
    ms['naive'] = 1000 * (time.perf_counter() - start) * x_shape[0] / naive_n
    rows = [(f'conv {name}', 'naive loops (scaled)', ms['naive'], f"{ms['naive'] / ms['fast']:.0f}x slower than fast"),
            (f'conv {name}', 'fast (im2col)', ms['fast'], f"{ms['fast'] / ms['floor']:.2f}x its product floor"),
            (f'conv {name}', 'product floor (NumPy)', ms['floor'], '')]
    if 'torch' in ms:
        rows.append((f'conv {name}', 'PyTorch conv2d', ms['torch'], f"fast is {ms['fast'] / ms['torch']:.2f}x PyTorch"))
    return rows, {'naive / fast': ms['naive'] / ms['fast'], 'fast / floor': ms['fast'] / ms['floor']}


def bench_pool(name, x_shape, blocks):
    "Time 2 x 2, stride 2 max pooling; return its table rows and the ratio to PyTorch (None without it)."
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal(x_shape, dtype=np.float32), 0)  # after a ReLU: many ties, as in a network
    param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    dout = rng.standard_normal((*x_shape[:2], x_shape[2] // 2, x_shape[3] // 2), dtype=np.float32)
    fns = {'fast': lambda: max_pool_backward_fast(dout, max_pool_forward_fast(x, param)[1])}
    if torch is not None:
        xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)
        out_t = torch.nn.functional.max_pool2d(xt, 2, 2); out_t.backward(dt)
        assert np.array_equal(max_pool_forward_fast(x, param)[0], out_t.detach().numpy()), 'max pool disagrees with PyTorch'
        assert np.array_equal(max_pool_backward_fast(dout, max_pool_forward_fast(x, param)[1]), xt.grad.numpy()), \
            'max pool gradient disagrees with PyTorch (ties?)'
        def torch_step():
            torch.nn.functional.max_pool2d(xt, 2, 2).backward(dt)
            xt.grad = None
        fns['torch'] = torch_step
    ms = block_ms(fns, blocks=blocks, calls=20)
    rows = [(f'pool {name}', 'fast (NumPy)', ms['fast'], f"{ms['fast'] / ms['torch']:.2f}x PyTorch" if 'torch' in ms else '')]
    if 'torch' in ms: rows.append((f'pool {name}', 'PyTorch max_pool2d', ms['torch'], ''))
    return rows, ({'pool fast / torch': ms['fast'] / ms['torch']} if 'torch' in ms else {})


def environment():
    "One line per fact about the machine that the timings depend on."
    lines = [f'python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, '
             f'load average {" ".join(f"{v:.2f}" for v in os.getloadavg())}']
    for lib in threadpool_info():
        lines.append(f"{lib['user_api']}: {lib['internal_api']} {lib.get('version')} ({lib.get('architecture', '-')}), "
                     f"{lib['num_threads']} threads, {os.path.basename(lib['filepath'])}")
    if torch is None: lines.append('PyTorch: not installed, PyTorch rows skipped (pip install torch to compare)')
    else: lines.append(f'PyTorch {torch.__version__}, {torch.get_num_threads()} threads, '
                       f'CPU capability {torch.backends.cpu.get_cpu_capability()}, '
                       f'oneDNN (mkldnn) {"on" if torch.backends.mkldnn.is_available() else "off"}')
    return lines


def cases(smoke):
    "The layers to time: convolutions (name, x shape, w shape, pad), poolings (name, x shape), examples for the loops, blocks."
    if smoke:
        return [('A', (4, 3, 8, 8), (4, 3, 3, 3), 1), ('B', (4, 4, 6, 6), (8, 4, 3, 3), 1)], [('A', (4, 4, 8, 8))], 2, 2
    return ([('A', (64, 3, 32, 32), (32, 3, 7, 7), 3), ('B', (64, 32, 16, 16), (64, 32, 3, 3), 1)],
            [('A', (64, 32, 32, 32)), ('B', (64, 64, 16, 16))], 2, 7)


def rows(smoke=False):
    "The rows of bench/run.py's table: (case, result, target, met: True/False/None), the targets of TARGETS."
    convs, pools, naive_n, blocks = cases(smoke)
    met = lambda kind, value: None if smoke else (value >= TARGETS[kind] if kind == 'naive / fast' else value <= TARGETS[kind])
    out = []
    for name, x_shape, w_shape, pad in convs:
        r, q = bench_conv(name, x_shape, w_shape, pad, naive_n, blocks)
        ms = {contender: t for _, contender, t, _ in r}
        out.append((f'conv {name}: x {x_shape}, w {w_shape}, stride 1, pad {pad}, float32, forward + backward: '
                    f'fast (im2col) vs the loops', f"{ms['fast (im2col)']:.1f} ms vs {ms['naive loops (scaled)']:.0f} ms: "
                    f"{q['naive / fast']:.0f}x faster", f">= {TARGETS['naive / fast']}x", met('naive / fast', q['naive / fast'])))
        out.append((f'conv {name}: fast vs its three im2col products alone ({ms["product floor (NumPy)"]:.1f} ms)',
                    f"{q['fast / floor']:.2f}x the floor", f"<= {TARGETS['fast / floor']}x", met('fast / floor', q['fast / floor'])))
        if 'PyTorch conv2d' in ms:
            out.append((f'conv {name}: fast vs PyTorch conv2d', f"{ms['fast (im2col)']:.1f} ms vs {ms['PyTorch conv2d']:.1f} ms: "
                        f"{ms['fast (im2col)'] / ms['PyTorch conv2d']:.2f}x", '', None))
    for name, x_shape in pools:
        r, q = bench_pool(name, x_shape, blocks)
        case = f'max pool {name}: x {x_shape}, 2x2, stride 2, float32, forward + backward: fast vs PyTorch'
        if q:
            ms = {contender: t for _, contender, t, _ in r}
            out.append((case, f"{ms['fast (NumPy)']:.2f} ms vs {ms['PyTorch max_pool2d']:.2f} ms: {q['pool fast / torch']:.2f}x",
                        f"<= {TARGETS['pool fast / torch']}x", met('pool fast / torch', q['pool fast / torch'])))
        else: out.append((case, 'skipped: torch is not installed', f"<= {TARGETS['pool fast / torch']}x", None))
    return out


def main(smoke=False):
    "Run every benchmark, print the table, return the list of missed targets."
    convs, pools, naive_n, blocks = cases(smoke)
    print('\n'.join(environment()))
    rows, ratios = [], []
    for name, x_shape, w_shape, pad in convs:
        r, q = bench_conv(name, x_shape, w_shape, pad, naive_n, blocks)
        rows += r; ratios += [(f'conv {name} {k}', k, v) for k, v in q.items()]
        print(f'conv {name}: x {x_shape}, w {w_shape}, stride 1, pad {pad}')
    for name, x_shape in pools:
        r, q = bench_pool(name, x_shape, blocks)
        rows += r; ratios += [(f'pool {name} {k}', k, v) for k, v in q.items()]
        print(f'pool {name}: x {x_shape}, 2x2 windows, stride 2 (input after a ReLU)')
    print(f"\n{'layer':8} {'contender':24} {'fwd+bwd ms':>11}  note")
    for layer, contender, ms, note in rows: print(f'{layer:8} {contender:24} {ms:11.2f}  {note}')
    print(f'load average at the end: {" ".join(f"{v:.2f}" for v in os.getloadavg())}')
    if smoke: return []
    if torch is None: print('\nPyTorch targets not checked: PyTorch is not installed')
    missed = []
    for label, kind, value in ratios:
        ok = value >= TARGETS[kind] if kind == 'naive / fast' else value <= TARGETS[kind]
        if not ok: missed.append(f"{label} = {value:.2f} (target {'>=' if kind == 'naive / fast' else '<='} {TARGETS[kind]})")
    print('\nbench_conv: all targets met' if not missed else '\nbench_conv: MISSED ' + '; '.join(missed))
    return missed


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--smoke', action='store_true', help='tiny sizes, no targets: checks that the script runs')
    sys.exit(1 if main(parser.parse_args().smoke) else 0)
