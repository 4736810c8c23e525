"""A float32 training step creates no float64 array.

A step is what the Solver does with a minibatch: `model.loss(X, y)`, then an Adam update of every
parameter. Four float32 nets (`FullyConnectedNet` with batch normalization, with layer
normalization and with neither, and `TwoLayerNet`; all with dropout and L2 regularization) take two
such steps, on a float32 minibatch and on a float64 one, then a test-time pass. Then two things are
checked:

- every array the step returns or stores is float32: the loss, the gradients, the parameters, the
  optimizer's state, the batchnorm running averages, everything the model holds;
- every array created *during* the step is float32, temporaries inside expressions included. The
  parameters and the input are handed to the net as a trivial subclass of `np.ndarray` whose
  `__array_finalize__` records the dtype of every array made from them (the result of every
  operation on them, and of every operation on those results, is again of the subclass). Two
  places would let arrays out of that net: `np.asarray`, which returns a plain ndarray, so it is
  made to keep the subclass during the step; and the random generator, whose draws are new arrays,
  so its results are recorded too.

One exception, inside NumPy itself: `ndarray.mean` sums in float32, then divides the sums by the
count held as a NumPy integer, and under NumPy 2's promotion rules that division runs in float64
into a temporary the size of the result (a vector of D values for a batchnorm mean; a 0-d array for
the loss), cast back to a float32 result. The check counts the arrays NumPy's `mean` makes apart,
shows they are only that, and holds the code of nndl to the rule.

The last tests plant two float64 leaks the first check cannot see, and show that the second one
catches them.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import nndl.fc_net
from nndl.fc_net import FullyConnectedNet, TwoLayerNet
from nndl.optim import adam


class Recorded(np.ndarray):
    "An ndarray that records the dtype, the size and the creating function of every array derived from it in `Recorded.log`."
    log = []
    def __array_finalize__(self, obj):
        code = sys._getframe(1).f_code  # the Python function whose operation made this array
        Recorded.log.append((self.dtype, self.size, f'{Path(code.co_filename).name}:{code.co_name}'))

NUMPY_MEAN = f'{Path(np._core._methods.__file__).name}:_mean'


def split_mean(created):
    "Split the record into NumPy's own `mean` temporaries and everything else (dtypes)."
    inside_mean = [(dtype, size) for dtype, size, where in created if where == NUMPY_MEAN]
    return inside_mean, [dtype for dtype, size, where in created if where != NUMPY_MEAN]


class RecordingGenerator:
    "A `np.random.Generator` that records the dtype of every array it returns."
    def __init__(self, seed=None): self._rng = REAL_DEFAULT_RNG(seed)
    def __getattr__(self, name):
        method = getattr(self._rng, name)
        def call(*args, **kwargs):
            out = method(*args, **kwargs)
            if isinstance(out, np.ndarray): Recorded.log.append((out.dtype, out.size, f'Generator.{name}'))
            return out
        return call if callable(method) else method

REAL_DEFAULT_RNG = np.random.default_rng


def arrays_in(obj):
    "Yield every NumPy array inside nested dicts, lists, tuples and object attributes."
    if isinstance(obj, np.ndarray): yield obj
    elif isinstance(obj, dict):
        for v in obj.values(): yield from arrays_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj: yield from arrays_in(v)
    elif hasattr(obj, '__dict__') and not isinstance(obj, type): yield from arrays_in(vars(obj))


def float_dtypes(items):
    "The set of floating-point dtypes among `items`, arrays or dtypes."
    dtypes = {np.dtype(getattr(a, 'dtype', a)) for a in items}
    return {d for d in dtypes if np.issubdtype(d, np.floating)}


NETS = {
    'batchnorm': lambda: FullyConnectedNet([20, 15], input_dim=48, num_classes=5, dropout=0.6, use_batchnorm=True,
                                           reg=np.float64(0.1), seed=0),
    'layernorm': lambda: FullyConnectedNet([20, 15], input_dim=48, num_classes=5, dropout=0.6,
                                           normalization='layernorm', reg=np.float64(0.1), seed=0),
    'no normalization': lambda: FullyConnectedNet([20, 15, 10], input_dim=48, num_classes=5, dropout=0.6,
                                                  reg=np.float64(0.1), seed=0),
    'two-layer': lambda: TwoLayerNet(48, 20, 5, dropout=0.6, reg=np.float64(0.1), dtype=np.float32, seed=0),
}


def training_steps(net, X_dtype, monkeypatch, steps=2):
    """Take `steps` training steps of `net` (loss, gradients, Adam on every parameter) and a test-time pass.

    Return the loss, the last gradients, the Adam configs, the scores, and the record of every array created meanwhile."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3, 4, 4)).astype(X_dtype).view(Recorded)
    y = rng.integers(0, 5, 8)
    net.params = {k: v.view(Recorded) for k, v in net.params.items()}
    configs = {k: {'learning_rate': np.float64(1e-3)} for k in net.params}  # a NumPy float64, as from np.logspace
    monkeypatch.setattr(np, 'asarray', np.asanyarray)
    monkeypatch.setattr(np.random, 'default_rng', RecordingGenerator)
    Recorded.log = []
    for step in range(steps):
        net.dropout_param['seed'] = step  # as the Solver does
        loss, grads = net.loss(X, y)
        for k, w in net.params.items(): net.params[k], configs[k] = adam(w, grads[k], configs[k])
    scores = net.loss(X)
    monkeypatch.undo()
    return loss, grads, configs, scores, Recorded.log


@pytest.mark.parametrize('X_dtype', [np.float32, np.float64])
@pytest.mark.parametrize('kind', list(NETS))
def test_float32_step_makes_no_float64(kind, X_dtype, monkeypatch):
    net = NETS[kind]()
    loss, grads, configs, scores, created = training_steps(net, X_dtype, monkeypatch)
    assert loss.dtype == np.float32, loss.dtype
    stored = list(arrays_in([grads, configs, scores, net]))  # (hyperparameters given as NumPy float64 stay what they are)
    assert len(stored) > 3 * len(net.params) and float_dtypes(stored) == {np.dtype(np.float32)}, float_dtypes(stored)
    if kind == 'batchnorm':
        assert all(bp[k].dtype == np.float32 for bp in net.bn_params for k in ('running_mean', 'running_var'))
    assert all(c['v'].dtype == c['a'].dtype == np.float32 for c in configs.values())
    # Arrays made during the step: many (the recording works), and all float32 but NumPy's mean's own
    # division temporaries, which are no larger than a layer's width.
    inside_mean, outside = split_mean(created)
    assert len(outside) > 100 and float_dtypes(outside) == {np.dtype(np.float32)}, float_dtypes(outside)
    assert all(size <= max(np.atleast_1d(net.hidden_dims)) for _, size in inside_mean), inside_mean


# The recording is not blind: two float64 leaks that leave every stored array float32.

def dropout_forward_float64_draws(x, dropout_param):
    "The dropout forward pass of before: float64 draws, cast to the input's dtype at the end."
    p, rng = dropout_param['p'], np.random.default_rng(dropout_param.get('seed'))
    if dropout_param['mode'] == 'test': return x, (dropout_param, None)
    mask = ((rng.random(x.shape) < p) / p).astype(x.dtype)
    return x * mask, (dropout_param, mask)


def add_l2_numpy_reg(loss, grads, params, reg):
    "L2 regularization that keeps `reg` a NumPy float64: `reg * w` is a float64 temporary, added back into float32."
    for k, w in params.items():
        if k.startswith('W'):
            loss += 0.5 * float(reg) * np.vdot(w, w)
            grads[k] += reg * w
    return loss, grads


@pytest.mark.parametrize('name,leak', [('dropout_forward', dropout_forward_float64_draws), ('_add_l2', add_l2_numpy_reg)])
def test_a_float64_temporary_is_caught(name, leak, monkeypatch):
    net = NETS['batchnorm']()
    monkeypatch.setattr(nndl.fc_net, name, leak)
    loss, grads, configs, scores, created = training_steps(net, np.float32, monkeypatch)
    assert loss.dtype == np.float32 and float_dtypes(arrays_in([grads, configs, scores, net])) == {np.dtype(np.float32)}
    assert np.dtype(np.float64) in float_dtypes(split_mean(created)[1])  # caught here
