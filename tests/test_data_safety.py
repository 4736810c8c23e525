"""Loading CIFAR-10 never runs code from the files: a malicious pickle placed as a batch is refused.

Every payload below is live: given to the ordinary `pickle.loads` it runs and creates a marker file
(the test checks that it does, else a refusal would prove nothing). Given to nndl's loaders it is
refused with an `UnsafePickleError` that names the file and the global, and the marker never appears.
"""
import io, os, pickle, re, warnings

import numpy as np
import pytest

from nndl.data_utils import (RestrictedUnpickler, UnsafePickleError, cifar10_root, get_CIFAR10_data,
                             get_course_data, load_CIFAR10, load_CIFAR_batch, save_CIFAR_batch)


class System:
    "Unpickles by running a shell command."
    def __init__(self, command): self.command = command
    def __reduce__(self): return os.system, (self.command,)


class Exec:
    "Unpickles by running Python code."
    def __init__(self, code): self.code = code
    def __reduce__(self): return exec, (self.code,)


def tiny_batch(path, n=20, seed=0):
    "Write a small batch in the official format; return its images and labels."
    rng = np.random.default_rng(seed)
    X, y = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), np.arange(n) % 10
    save_CIFAR_batch(path, X, y)
    return X, y


def payloads(marker, tmp_path):
    "Malicious pickles, by name, each of which creates `marker` when unpickled."
    shell, code = f'echo owned > "{marker}"', f"open({str(marker)!r}, 'w').close()"
    tiny_batch(tmp_path / 'good')
    good = (tmp_path / 'good').read_bytes()
    assert good.endswith(pickle.SETITEMS + pickle.STOP)
    # a real batch, its three admitted globals and all, with one more item whose value runs the command
    spliced = (good[:-2] + b'U\x05extra' + f'c{os.system.__module__}\nsystem\n'.encode()
               + b'U' + bytes([len(shell)]) + shell.encode() + pickle.TUPLE1 + pickle.REDUCE + good[-2:])
    return {
        'os.system, protocol 0': pickle.dumps(System(shell), protocol=0),
        'os.system in a batch dict, protocol 2': pickle.dumps({'data': System(shell), 'labels': [0]}, protocol=2),
        'os.system, protocol 4 (STACK_GLOBAL)': pickle.dumps(System(shell), protocol=4),
        'os.system, protocol 5': pickle.dumps(System(shell), protocol=5),
        'builtins.exec': pickle.dumps(Exec(code), protocol=2),
        'INST builtins.exec, hand-written': b'(V' + code.encode() + b'\nibuiltins\nexec\n.',
        'OBJ builtins.exec, hand-written': b'(cbuiltins\nexec\nV' + code.encode() + b'\no.',
        'a real batch with os.system spliced in': spliced,
    }


CASES = [
    'os.system, protocol 0', 'os.system in a batch dict, protocol 2', 'os.system, protocol 4 (STACK_GLOBAL)',
    'os.system, protocol 5', 'builtins.exec', 'INST builtins.exec, hand-written', 'OBJ builtins.exec, hand-written',
    'a real batch with os.system spliced in']


@pytest.mark.parametrize('case', CASES)
def test_payload_runs_under_pickle_but_is_refused(tmp_path, case):
    "The payload creates the marker under pickle.loads; placed as a batch file, nndl refuses it and nothing runs."
    marker = tmp_path / 'owned.txt'
    payloads_here = payloads(marker, tmp_path)
    assert set(payloads_here) == set(CASES)
    payload = payloads_here[case]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)  # NumPy 2 on the spliced batch's numpy.core
        pickle.loads(payload, encoding='latin1')
    assert marker.exists(), f'{case}: the payload is not live, so refusing it would prove nothing'
    marker.unlink()
    batch = tmp_path / 'data_batch_1'
    batch.write_bytes(payload)
    with pytest.raises(UnsafePickleError, match=re.escape(f'{batch}: refused the global ') + r'(posix|nt|builtins|__builtin__)\.(system|exec)'):
        load_CIFAR_batch(batch)
    assert not marker.exists()


def fake_root(folder, first):
    "A cifar-10-batches-py folder of small good batches, with `first` as data_batch_1."
    folder.mkdir(parents=True)
    (folder / 'data_batch_1').write_bytes(first)
    for i, name in enumerate(['data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']):
        tiny_batch(folder / name, seed=i)
    return folder


def test_every_loader_refuses_a_malicious_first_batch(tmp_path, monkeypatch):
    "load_CIFAR10, get_CIFAR10_data and get_course_data (with NNDL_DATA) all refuse; none falls back silently."
    marker = tmp_path / 'owned.txt'
    payload = payloads(marker, tmp_path)['os.system in a batch dict, protocol 2']
    root = fake_root(tmp_path / 'data' / 'cifar-10-batches-py', payload)
    refused = re.escape(f'{root / "data_batch_1"}: refused the global')
    with pytest.raises(UnsafePickleError, match=refused): load_CIFAR10(root)
    with pytest.raises(UnsafePickleError, match=refused): get_CIFAR10_data(num_training=10, num_validation=5, num_test=5, root=root)
    monkeypatch.setenv('NNDL_DATA', str(tmp_path / 'data'))
    assert cifar10_root() == root
    with pytest.raises(UnsafePickleError, match=refused): get_course_data(num_training=10, num_validation=5, num_test=5)
    assert not marker.exists()


def test_the_refusal_is_an_unpickling_error_that_names_the_global(tmp_path):
    "UnsafePickleError is a pickle.UnpicklingError, and its message lists what a batch may use."
    payload = pickle.dumps(System('true'), protocol=2)
    with pytest.raises(pickle.UnpicklingError) as error:
        RestrictedUnpickler(io.BytesIO(payload)).load()
    assert isinstance(error.value, UnsafePickleError)
    assert f'{os.system.__module__}.system' in str(error.value)
    assert 'numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype' in str(error.value)


def test_batches_in_the_official_format_load(tmp_path):
    "The restriction lets the official format through: a written batch, and a folder of them, load back exactly."
    X, y = tiny_batch(tmp_path / 'batch')
    X_back, y_back = load_CIFAR_batch(tmp_path / 'batch')
    assert np.array_equal(X_back, X) and np.array_equal(y_back, y)
    root = fake_root(tmp_path / 'cifar-10-batches-py', (tmp_path / 'batch').read_bytes())
    Xtr, ytr, Xte, yte = load_CIFAR10(root)
    assert Xtr.shape == (100, 32, 32, 3) and np.array_equal(Xtr[:20], X) and Xte.shape == (20, 32, 32, 3)


@pytest.mark.skipif(cifar10_root() is None or not cifar10_root().is_dir(), reason='CIFAR-10 is not installed')
def test_the_installed_batches_need_nothing_else():
    "Every installed CIFAR-10 file unpickles under the restriction."
    root = cifar10_root()
    for name in ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch', 'batches.meta']:
        with open(root / name, 'rb') as f: content = RestrictedUnpickler(f, encoding='latin1').load()
        assert isinstance(content, dict), name


def test_damaged_batches_are_errors_that_name_the_file(tmp_path):
    "A missing, empty or truncated batch file is a clear error naming it."
    tiny_batch(tmp_path / 'good')
    good = (tmp_path / 'good').read_bytes()
    (tmp_path / 'empty').write_bytes(b'')
    (tmp_path / 'truncated').write_bytes(good[:len(good) * 2 // 3])
    for name, error, problem in [('missing', FileNotFoundError, 'is missing'), ('empty', ValueError, 'is empty'),
                                 ('truncated', ValueError, 'is truncated')]:
        with pytest.raises(error, match=re.escape(f'{tmp_path / name} {problem}')): load_CIFAR_batch(tmp_path / name)
    with pytest.raises(FileNotFoundError, match='make data'): load_CIFAR10(tmp_path / 'nowhere')
