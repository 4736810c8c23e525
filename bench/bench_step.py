"""One training step of the standard net in nndl and in PyTorch, its BLAS floor, where the step's time goes,
and a Solver epoch with its peak memory.

The standard net: 3072-512-512-10 with batchnorm and dropout, batch 256, float32, Adam.
"""
import itertools, json, resource, subprocess, sys, time
from pathlib import Path

import numpy as np

from timing import time_blocks

FULL = dict(dims=(3072, 512, 512, 10), N=256)
SMOKE = dict(dims=(48, 16, 16, 10), N=8)
KEEP = 0.5  # dropout keep probability (PyTorch's p = 1 - KEEP)


def batch(dims, N, seed=0):
    "A random float32 minibatch and its labels."
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, dims[0]), dtype=np.float32), rng.integers(0, dims[-1], N)


def standard_net(dims):
    "The nndl net: affine - batchnorm - ReLU - dropout for each hidden layer, then affine - softmax, in float32."
    from nndl.fc_net import FullyConnectedNet
    return FullyConnectedNet(list(dims[1:-1]), input_dim=dims[0], num_classes=dims[-1], use_batchnorm=True,
                             dropout=KEEP, dtype=np.float32, seed=0)


def nndl_step(dims, N):
    "One nndl training step (loss, gradients, Adam on every parameter) as a function of no arguments."
    from nndl.optim import adam
    X, y = batch(dims, N)
    model = standard_net(dims)
    configs = {k: {'learning_rate': 1e-3} for k in model.params}
    seeds = itertools.count()
    def step():
        model.dropout_param['seed'] = next(seeds)  # new masks every step, as the Solver does
        loss, grads = model.loss(X, y)
        for k, w in model.params.items(): model.params[k], configs[k] = adam(w, grads[k], configs[k])
        return loss
    return step


def torch_step(dims, N, threads):
    "The same step in PyTorch (same architecture, dtype, batch and thread count), or None without torch."
    try: import torch
    except ImportError: return None
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers = []
    for i, (d_in, d_out) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(dims) - 2: layers += [nn.BatchNorm1d(d_out), nn.ReLU(), nn.Dropout(1 - KEEP)]
    net = nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    X, y = batch(dims, N)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(net(Xt), yt)
        loss.backward()
        opt.step()
    return step


def blas_floor(dims, N):
    """The matrix products a step cannot avoid, alone: forward and dw of every affine layer, and dx of
    every affine layer but the first (nobody needs the gradient of the input images)."""
    rng = np.random.default_rng(1)
    acts = [rng.standard_normal((N, d), dtype=np.float32) for d in dims[:-1]]
    ws = [rng.standard_normal((a, b), dtype=np.float32) for a, b in zip(dims[:-1], dims[1:])]
    grads = [rng.standard_normal((N, b), dtype=np.float32) for b in dims[1:]]
    def products():
        for i, (a, w, g) in enumerate(zip(acts, ws, grads)):
            a @ w
            a.T @ g
            if i: g @ w.T
    return products


def products_of_pieces(dims, N):
    """The matrix products of each piece of a step, alone, at the step's shapes: {piece: function of no arguments}."""
    rng = np.random.default_rng(2)
    L, out = len(dims) - 1, {}
    a = [rng.standard_normal((N, d), dtype=np.float32) for d in dims[:-1]]  # the input of each affine layer
    w = [rng.standard_normal((d, m), dtype=np.float32) for d, m in zip(dims[:-1], dims[1:])]
    g = [rng.standard_normal((N, m), dtype=np.float32) for m in dims[1:]]  # the gradient of each affine output
    for i in range(1, L + 1):
        out[piece_name(dims, i, 'forward')] = lambda i=i: a[i - 1] @ w[i - 1]
        out[piece_name(dims, i, 'backward')] = ((lambda i=i: a[i - 1].T @ g[i - 1]) if i == 1 else
                                                (lambda i=i: (a[i - 1].T @ g[i - 1], g[i - 1] @ w[i - 1].T)))
    return out


def piece_name(dims, i, direction):
    "The name of a piece of the step: layer i's forward or backward pass."
    L = len(dims) - 1
    if direction == 'backward': return f'layer {i} backward' + (' (no dX)' if i == 1 else '')
    if i == L: return f'layer {L} forward: affine {dims[L - 1]}-{dims[L]}, softmax loss'
    return f'layer {i} forward: affine {dims[i - 1]}-{dims[i]}, batchnorm, ReLU, dropout'


def step_breakdown(dims, N, steps):
    """Where the time of real training steps goes: each piece is timed inside the step, on every step.

    Return the median milliseconds of each piece (every layer's forward and backward pass, Adam) and of the
    rest (the net's bookkeeping: checks, dicts, the loss wrapper), and the median step."""
    import nndl.fc_net as fc
    from nndl.optim import adam
    X, y = batch(dims, N)
    model, L = standard_net(dims), len(dims) - 1
    configs = {k: {'learning_rate': 1e-3} for k in model.params}
    this_step = {}
    def timed(fn, name):
        def wrapper(*args):
            start = time.perf_counter()
            out = fn(*args)
            key = name(*args)
            this_step[key] = this_step.get(key, 0) + time.perf_counter() - start
            return out
        return wrapper
    patches = {(fc.FullyConnectedNet, '_hidden_forward'): lambda self, x, i, mode: piece_name(dims, i, 'forward'),
               (fc.FullyConnectedNet, '_hidden_backward'): lambda self, dout, caches, i, grads: piece_name(dims, i, 'backward'),
               (fc, 'affine_forward'): lambda *args: piece_name(dims, L, 'forward'),  # fc_net's own calls: the output layer
               (fc, 'softmax_loss'): lambda *args: piece_name(dims, L, 'forward'),
               (fc, 'affine_backward'): lambda *args: piece_name(dims, L, 'backward')}
    originals = {k: getattr(*k) for k in patches}
    records = []
    try:
        for (owner, attr), name in patches.items(): setattr(owner, attr, timed(originals[owner, attr], name))
        for n in range(steps + 3):  # 3 warm-up steps
            this_step.clear()
            model.dropout_param['seed'] = n
            start = time.perf_counter()
            loss, grads = model.loss(X, y)
            mid = time.perf_counter()
            for k, w in model.params.items(): model.params[k], configs[k] = adam(w, grads[k], configs[k])
            end = time.perf_counter()
            this_step['Adam on every parameter'] = end - mid
            this_step['the rest: checks, bookkeeping of the net'] = (end - start) - sum(this_step.values())
            this_step['step'] = end - start
            if n >= 3: records.append(dict(this_step))
    finally:
        for (owner, attr), fn in originals.items(): setattr(owner, attr, fn)
    return {k: 1000 * float(np.median([r[k] for r in records])) for k in records[0]}


def peak_rss():
    """This process's peak resident memory in bytes: Linux's VmHWM, which starts afresh with the program (the
    rusage maximum would count the parent's memory at the fork); elsewhere getrusage's maximum."""
    try:
        with open('/proc/self/status') as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith('VmHWM:'))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == 'darwin' else 1024)


def epoch_child(smoke):
    "Train one epoch of CIFAR-10 size through the Solver in this process; print seconds and peak RSS as JSON."
    from nndl.solver import Solver
    dims, N = (SMOKE if smoke else FULL).values()
    n_train = 200 if smoke else 49000
    source = 'synthetic'
    try:
        if smoke: raise FileNotFoundError
        from nndl.data_utils import get_CIFAR10_data
        data, source = get_CIFAR10_data(num_training=n_train), 'CIFAR-10'
        data = {k: v for k, v in data.items() if k in ('X_train', 'y_train', 'X_val', 'y_val')}
    except (FileNotFoundError, ImportError):
        rng = np.random.default_rng(0)
        shape = (dims[0],) if smoke else (3, 32, 32)
        data = {'X_train': rng.standard_normal((n_train, *shape), dtype=np.float32),
                'y_train': rng.integers(0, 10, n_train),
                'X_val': rng.standard_normal((100, *shape), dtype=np.float32), 'y_val': rng.integers(0, 10, 100)}
    solver = Solver(standard_net(dims), data, update_rule='adam', optim_config={'learning_rate': 1e-3}, batch_size=N,
                    num_epochs=1, num_train_samples=1000, num_val_samples=1000, verbose=False, seed=0)
    start = time.perf_counter()
    solver.train()
    seconds = time.perf_counter() - start
    print(json.dumps({'seconds': seconds, 'images': n_train, 'peak_bytes': peak_rss(),
                      'data_bytes': int(data['X_train'].nbytes), 'source': source}))


def epoch(smoke):
    "Run `epoch_child` in a fresh process, so that its peak memory is the epoch's alone."
    out = subprocess.run([sys.executable, __file__, '--epoch'] + (['--smoke'] if smoke else []),
                         capture_output=True, text=True, cwd=Path(__file__).parent)
    if out.returncode: raise RuntimeError(f'the Solver epoch failed:\n{out.stderr}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def step_rows(smoke, dims, N, threads):
    "Rows: the step in nndl and in PyTorch, and the step against its BLAS floor."
    step, floor, tstep = nndl_step(dims, N), blas_floor(dims, N), torch_step(dims, N, threads)
    fns = {'nndl': step, 'floor': floor} | ({'torch': tstep} if tstep else {})
    ms = time_blocks(fns, **(dict(repeats=3, block=2, pause=0) if smoke else dict(repeats=15, block=5, pause=0.2)))
    net = '-'.join(map(str, dims))
    out = []
    if tstep:
        ratio = ms['nndl'] / ms['torch']
        out.append((f'training step {net}, batchnorm, dropout, batch {N}, float32, Adam: nndl vs PyTorch '
                    f'({threads} threads)', f"{ms['nndl']:.1f} ms vs {ms['torch']:.1f} ms: {ratio:.2f}x",
                    '<= 0.9x', None if smoke else ratio <= 0.9))
    else:
        out.append(('training step: nndl vs PyTorch', 'skipped: torch is not installed '
                    '(`make bench` installs it with `pip install torch==2.13.0`)', '<= 0.9x', None))
    ratio = ms['nndl'] / ms['floor']
    out.append((f'the same step vs its BLAS floor (its matrix products alone: {ms["floor"]:.1f} ms)',
                f"{ms['nndl']:.1f} ms: {ratio:.2f}x the floor", '<= 1.6x (aim 1.4x)', None if smoke else ratio <= 1.6))
    return out, ms['floor']


# Adam in NumPy: every ufunc call is one pass over the parameters, and Adam cannot take fewer than 12:
# v = b1 v + (1 - b1) g (3: a scaled copy of g, v *= b1, v += it), a = b2 a + (1 - b2) g^2 (4), and
# w - lr' v / (sqrt(a) + eps') (5: sqrt, + eps', divide, * lr', subtract), with both bias corrections
# folded into lr' and eps' as Kingma and Ba suggest. nndl.optim's clearer version takes 13.
ADAM_MIN_PASSES = 12


def cheapest_pass(dims):
    """The cheapest elementwise pass there is over every parameter array of the net: an in-place scaling
    (one array read and written; every pass of Adam reads at least that)."""
    arrays = [np.ones_like(v) for v in standard_net(dims).params.values()]
    def scale():
        for a in arrays: a *= 1.0
    return sum(a.size for a in arrays), scale


def torch_adam(dims, threads):
    "PyTorch's Adam step alone on the standard net's parameters (its default multi-tensor kernels), or None."
    try: import torch
    except ImportError: return None
    torch.set_num_threads(threads)
    params = [torch.zeros(v.shape, requires_grad=True) for v in standard_net(dims).params.values()]
    for q in params: q.grad = torch.ones(q.shape)
    return torch.optim.Adam(params, lr=1e-3).step


def piece_rows(smoke, dims, N):
    "Rows: where the time of a step goes, piece by piece, each with the time of its matrix products alone."
    parts = step_breakdown(dims, N, steps=3 if smoke else 40)
    products = time_blocks(products_of_pieces(dims, N), **(dict(repeats=3, block=2, pause=0) if smoke else
                                                            dict(repeats=9, block=5, pause=0.1)))
    n = sum(v.size for v in standard_net(dims).params.values())
    out = []
    for name, ms in parts.items():
        if name == 'step': continue
        result = f'{ms:.2f} ms' + (f', of which matrix products {products[name]:.2f} ms' if name in products else '')
        if name.startswith('Adam'): name = f'Adam on all {n:,} parameters'
        out.append((f'  where the step goes: {name}', result, '', None))
    out.append((f'  (medians over {3 if smoke else 40} steps timed piece by piece inside the step: the step {parts["step"]:.1f} ms)',
                '', '', None))
    elementwise = sum(max(0.0, parts[k] - products[k]) for k in products)  # the layers' work beyond their products
    return out, elementwise


def attainable_rows(smoke, dims, threads, floor, elementwise):
    """Rows: the fastest step NumPy allows: the BLAS floor, plus Adam at its fewest and cheapest passes,
    plus the layers' elementwise work as measured; against the target."""
    n, scale = cheapest_pass(dims)
    tadam = torch_adam(dims, threads)
    fns = {'pass': scale} | ({'torch adam': tadam} if tadam else {})
    ms = time_blocks(fns, **(dict(repeats=3, block=2, pause=0) if smoke else dict(repeats=15, block=10, pause=0.1)))
    adam_least = ADAM_MIN_PASSES * ms['pass']
    best = floor + adam_least + elementwise
    out = [('**What a NumPy step can attain at best** (NumPy runs elementwise work on one core, one pass per ufunc call)', '', '', None),
           (f'  the cheapest pass over all {n:,} parameters: scaling them in place', f"{ms['pass']:.2f} ms", '', None),
           (f'  Adam at its least: {ADAM_MIN_PASSES} passes, each as cheap as that', f'{adam_least:.1f} ms', '', None)]
    if tadam:
        out.append((f"  PyTorch's Adam alone on the same parameters (fused multi-tensor kernels, {threads} threads)",
                    f"{ms['torch adam']:.1f} ms", '', None))
    out.append(("  the layers' elementwise work in the step (batchnorm, ReLU, dropout, softmax: the pieces above minus their products)",
                f'{elementwise:.1f} ms', '', None))
    out.append(('  so the fastest NumPy step: BLAS floor + Adam at its least + that elementwise work',
                f'{best:.1f} ms: {best / floor:.2f}x the floor', '<= 1.6x (the target above)', None))
    return out


def rows(smoke=False):
    "The benchmark's table rows: (case, result, target, met: True/False/None)."
    from threadpoolctl import threadpool_info
    dims, N = (SMOKE if smoke else FULL).values()
    threads = max([p['num_threads'] for p in threadpool_info() if p.get('user_api') == 'blas'] or [1])
    step, floor = step_rows(smoke, dims, N, threads)
    pieces, elementwise = piece_rows(smoke, dims, N)
    out = step + pieces + attainable_rows(smoke, dims, threads, floor, elementwise)
    ep = epoch(smoke)
    out.append((f"one epoch through the Solver ({ep['images']} {ep['source']} images, batch {N}, Adam)",
                f"{ep['seconds']:.1f} s, {ep['images'] / ep['seconds']:.0f} images/s", '< 60 s',
                None if smoke else ep['seconds'] < 60))
    out.append(('peak memory (RSS) of that run vs the float32 training data',
                f"{ep['peak_bytes'] / 2**20:.0f} MiB vs {ep['data_bytes'] / 2**20:.0f} MiB: "
                f"{ep['peak_bytes'] / ep['data_bytes']:.2f}x", '< 2x',
                None if smoke else ep['peak_bytes'] < 2 * ep['data_bytes']))
    return out


if __name__ == '__main__' and '--epoch' in sys.argv:
    epoch_child('--smoke' in sys.argv)
