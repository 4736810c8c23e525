"""Each notebook's checks must catch the bugs students actually make.

Every case below plants one classic bug in a copy of a notebook (a wrong axis, a sign, a missing
1/p, a running average with the weights swapped, ...) and runs the copy: some assertion in it must
fail. If a lesson's code is rewritten so that a planted line no longer exists, the test says so;
update the case to plant the same bug in the new code.
"""
import copy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NBS = Path(__file__).resolve().parents[1] / 'nbs'

MUTANTS = [  # (notebook, correct line, buggy line, the bug)
    ('01_affine', 'db = dout.sum(axis=0)', 'db = dout.sum(axis=1)[:1].repeat(dout.shape[1])', 'db summed over the wrong axis'),
    ('01_affine', 'dx = (dout @ w.T).reshape(x.shape)', 'dx = (dout @ w.T).reshape(x.shape) * 0.999', 'dx slightly off'),
    ('02_relu', 'return dout * (x > 0)', 'return dout * (x >= 0)', 'gradient passed at the kink'),
    ('03_losses', 'dx[rows, y] -= 1', 'dx[rows, y] += 1', 'sign of the softmax target'),
    ('03_losses', 'dx[rows, y] = -active.sum(axis=1)\n    return loss, dx / x.shape[0]',
     'dx[rows, y] = -active.sum(axis=1)\n    return loss, dx', 'SVM gradient not divided by N'),
    ('04_layer_utils', 'da = relu_backward(dout, relu_cache)', 'da = dout', 'sandwich skips the ReLU backward'),
    ('05_batchnorm', 'var = (xc ** 2).mean(axis=0)', 'var = (xc ** 2).sum(axis=0) / (x.shape[0] - 1)', 'corrected variance'),
    ('05_batchnorm', "bn_param['running_mean'] = m * bn_param['running_mean'] + (1 - m) * mu",
     "bn_param['running_mean'] = (1 - m) * bn_param['running_mean'] + m * mu", 'running mean weights swapped'),
    ('05_batchnorm', 'dx = dxc + dmu / N', 'dx = dxc', 'graph backward drops the path through mu'),
    ('05_batchnorm', '(N * dout - dbeta - xhat * dgamma)', '(N * dout - dbeta + xhat * dgamma)', 'closed form sign error'),
    ('06_dropout', 'mask = (u < p) / dtype.type(p)', 'mask = (u < p).astype(dtype)', 'no 1/p scaling'),
    ('06_dropout', 'if mode == \'test\': return x, (dropout_param, None)', 'pass', 'dropout applied at test time'),
    ('08_optim', 'v -= learning_rate * dw  # v = momentum', 'v += learning_rate * dw  # v = momentum', 'momentum sign error'),
    ('08_optim', 'next_w += (1 + momentum) * v', 'next_w = w + v', 'Nesterov without the look-ahead (plain momentum)'),
    ('08_optim', 'np.sqrt(a, out=next_w)', 'np.copyto(next_w, a)', 'RMSProp without the square root'),
    ('08_optim', 'v_scale, a_scale = 1 / (1 - beta1 ** t), 1 / (1 - beta2 ** t)', 'v_scale, a_scale = 1.0, 1.0',
     'Adam without bias correction'),
    ('08_optim', 'np.multiply(dw, 1 - beta1, out=next_w); v *= beta1', 'np.multiply(dw, beta1, out=next_w); v *= 1 - beta1',
     'Adam first-moment weights swapped'),
    ('08_optim', 'np.sqrt(next_w, out=next_w); next_w += epsilon', 'next_w += epsilon; np.sqrt(next_w, out=next_w)',
     'Adam epsilon inside the square root'),
    ('08_optim', 'if key not in config: config[key] = np.zeros_like(w)', 'config[key] = np.zeros_like(w)',
     'optimizer state not carried between calls'),
    ('08_optim', 'return w - learning_rate * dw, config', 'w -= learning_rate * dw\n    return w, config',
     "the caller's w updated in place"),
    ('08_optim', "return [check_number(f\"config['{name}']\", config.setdefault(name, default), _INTERVALS.get(name, '[0, inf)'))",
     "return [np.float64(check_number(f\"config['{name}']\", config.setdefault(name, default), _INTERVALS.get(name, '[0, inf)')))",
     'hyperparameters kept as NumPy float64 (upcasts float32)'),
    ('07_layernorm', 'xc = x - x.mean(axis=1, keepdims=True)', 'xc = x - x.mean(axis=0, keepdims=True)',
     'layer norm centres the columns'),
    ('07_layernorm', 'row_sum = dxhat.sum(axis=1, keepdims=True)', 'row_sum = dxhat.sum(axis=0, keepdims=True)',
     'layer norm backward sums over the wrong axis'),
    ('07_layernorm', 'return _normalize_rows_backward(dout * gamma, xhat, istd)',
     'return gamma * _normalize_rows_backward(dout, xhat, istd)', 'gamma pulled out of the row sums'),
    ('15_spatial_norm', 'x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])', 'x.reshape(-1, x.shape[1])',
     'spatial batchnorm reshapes without moving the channels last'),
    ('15_spatial_norm', 'y.reshape(N, H, W, C).transpose(0, 3, 1, 2)', 'y.reshape(N, C, H, W)',
     'spatial batchnorm undoes the rearrangement with a plain reshape'),
    ('15_spatial_norm', 'xhat, istd = _normalize_rows(x.reshape(N * G, -1)', 'xhat, istd = _normalize_rows(x.reshape(G, -1)',
     'group statistics pooled over the minibatch'),
    ('15_spatial_norm', 'dxhat = dout * gamma.reshape(1, C, 1, 1)', 'dxhat = dout * gamma.mean()',
     'group norm backward with one gamma per layer'),
    ('09_fc_net', "if k.startswith('W'):", 'if True:', 'regularization applied to biases, gammas and betas'),
    ('09_fc_net', "mode = 'test' if y is None else 'train'", "mode = 'train'", 'dropout left on at test time'),
    ('09_fc_net', 'loss += 0.5 * reg * np.vdot(w, w)', 'loss += reg * np.vdot(w, w)', 'L2 penalty without the 0.5'),
    ('09_fc_net', "param['seed'] = [param['seed'], i]", "param['seed'] = param['seed']",
     'every dropout layer draws the same mask'),
    ('09_fc_net', 'if drop_cache is not None: dout = dropout_backward(dout, drop_cache)', 'pass',
     'deep backward skips the dropout masks'),
    ('10_solver', "mb.child.comment = f'loss {loss:.4f}'\n    self._decay_learning_rate()",
     "mb.child.comment = f'loss {loss:.4f}'\n        self._decay_learning_rate()", 'learning rate decayed every iteration'),
    ('10_solver', 'self.model.params.update({k: v.copy() for k, v in self.best_params.items()})', 'pass',
     'best parameters not restored at the end'),
    ('10_solver', "self.rng = np.random.default_rng()\n    self.rng.bit_generator.state = meta['rng']",
     'self.rng = np.random.default_rng(self.seed)', 'resume re-seeds the generator instead of restoring its state'),
    ('10_solver', 'order, B = self.rng.permutation(len(self.X_train)), self.batch_size',
     'order, B = np.random.permutation(len(self.X_train)), self.batch_size', 'minibatches drawn from the global NumPy state'),
    ('13_conv', 'out[n, f, i, j] = np.sum(window * w[f]) + b[f]', 'out[n, f, i, j] = np.sum(window * w[f, :, ::-1, ::-1]) + b[f]',
     'filter flipped in the forward pass (a true convolution)'),
    ('13_conv', 'rows, cols = slice(i * s, i * s + HH), slice(j * s, j * s + WW)', 'rows, cols = slice(i, i + HH), slice(j, j + WW)',
     'stride ignored in the backward pass'),
    ('13_conv', 'return dxp[:, :, pad:pad + H, pad:pad + W], dw', 'return dxp[:, :, :H, :W], dw', 'padding cropped from the wrong side'),
    ('13_conv', 'if span % stride:', 'if False:', 'a size that does not divide is silently rounded down'),
    ('13_conv', 'windows.transpose(1, 4, 5, 0, 2, 3)', 'windows.transpose(1, 5, 4, 0, 2, 3)', 'im2col swaps HH and WW'),
    ('13_conv', 'dxp_cn[:, :, k:k + stride * H_out:stride, l:l + stride * W_out:stride] += dcols[:, k, l]',
     'dxp_cn[:, :, k:k + stride * H_out:stride, l:l + stride * W_out:stride] = dcols[:, k, l]', 'col2im assigns instead of adding'),
    ('14_pooling', 'dx[n, c, i * s + k, j * s + l] += dout[n, c, i, j]', 'dx[n, c, i * s + l, j * s + k] += dout[n, c, i, j]',
     'gradient routed to the wrong element of the window'),
    ('14_pooling', 'k, l = np.unravel_index(np.argmax(window), window.shape)',
     'k, l = np.unravel_index(window.size - 1 - np.argmax(window.ravel()[::-1]), window.shape)', 'ties go to the last maximum'),
    ('14_pooling', 'hits &= free', 'pass', 'fast backward routes the gradient to every tied maximum'),
    ('14_pooling', 'dx_entry += hits[..., k, l] * dout', 'dx_entry[...] = hits[..., k, l] * dout',
     'overlapping windows: assigned instead of added'),
    ('16_cnn', 'return conv_backward_fast(relu_backward(dout, relu_cache), conv_cache)',
     'return conv_backward_fast(dout, conv_cache)', 'conv sandwich skips the ReLU backward'),
    ('16_cnn', 'spatial_batchnorm_backward(relu_backward(dout, relu_cache), bn_cache)', 'spatial_batchnorm_backward(dout, bn_cache)',
     'batchnorm sandwich skips the ReLU backward'),
    ('16_cnn', "dh1, grads['W2'], grads['b2'] = affine_relu_backward(dh2, cache2)",
     "dh1, grads['W2'], grads['b2'] = affine_backward(dh2, cache2[0])", 'three-layer net skips the hidden ReLU backward'),
    ('16_cnn', 'self._draw((F, C, k, k), C * k * k)', 'self._draw((F, C, k, k), k * k)', 'He fan-in of a filter without its channels'),
    ('16_cnn', "bn_param['mode'] = mode", "bn_param['mode'] = 'train'", 'batchnorm left in train mode at test time'),
    ('16_cnn', 'std = np.sqrt(2 / fan_in) if', 'std = np.sqrt(1 / fan_in) if', 'He initialization without the factor 2'),
    ('16_cnn', 'if X.ndim != 4 or X.shape[1:] != image_shape:', 'if X.ndim != 4 or np.prod(X.shape[1:]) != np.prod(image_shape):',
     'channels-last images accepted'),
]


def plant(nb, correct, buggy):
    "Return a copy of `nb` with `correct` replaced by `buggy` in the one exported cell that has it."
    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if c.cell_type == 'code' and correct in c.source and '#| export' in c.source]
    assert len(cells) == 1, f'{correct!r} is in {len(cells)} exported cells, expected 1: update this case'
    cells[0].source = cells[0].source.replace(correct, buggy, 1)
    return nb


@pytest.mark.parametrize('name,correct,buggy,bug', MUTANTS, ids=[f'{m[0]}: {m[3]}' for m in MUTANTS])
def test_bug_is_caught(name, correct, buggy, bug):
    "The notebook with the bug planted fails one of its own checks."
    nb = plant(nbformat.read(NBS / f'{name}.ipynb', as_version=4), correct, buggy)
    client = NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': str(NBS)}})
    with pytest.raises(CellExecutionError) as err:
        client.execute()
    # A check must catch it: an assert, or a pytest.raises that no longer sees its error.
    assert err.value.ename in ('AssertionError', 'Failed'), f'{bug}: failed with {err.value.ename}, not a check'
