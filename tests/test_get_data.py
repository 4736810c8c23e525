"""`make data` (datasets/get_cifar10.sh) installs CIFAR-10 only when it is verified, and atomically.

Every failure (wrong md5, an archive without the folder or with a truncated batch, a failed or
interrupted download) must leave the data folder as it was: no cifar-10-batches-py, no temporary
folder, no partial archive. The install itself runs from the offline copy in ../shared when it is
there.
"""
import hashlib, io, os, signal, subprocess, tarfile, time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[1]
SCRIPT = TOP / 'datasets' / 'get_cifar10.sh'
SHARED = TOP.parent / 'shared' / 'datasets' / 'cifar-10-python.tar.gz'
SHARED_MD5 = '8badd95477cc3616a4da4b231891d661'  # published in ../shared/datasets/README.md
FILES = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch', 'batches.meta']


def run(data, **env):
    "Run the script with NNDL_DATA=data and the given environment; return the completed process."
    full = {**os.environ, 'NNDL_DATA': str(data), **{k: str(v) for k, v in env.items()}}
    for k in ['CIFAR10_ARCHIVE', 'CIFAR10_MD5', 'CIFAR10_URL']:
        if k not in env: full.pop(k, None)
    return subprocess.run(['bash', str(SCRIPT)], env=full, capture_output=True, text=True, timeout=300)


def archive(path, sizes, folder='cifar-10-batches-py'):
    "Write a .tar.gz holding `folder` with files of the given sizes (zeros); return its md5."
    with tarfile.open(path, 'w:gz', compresslevel=1) as tar:
        for name, size in sizes.items():
            info = tarfile.TarInfo(f'{folder}/{name}')
            info.size = size
            tar.addfile(info, io.BytesIO(bytes(size)))
    return hashlib.md5(path.read_bytes()).hexdigest()


def untouched(data):
    "Nothing was installed and nothing was left behind."
    return not data.exists() or list(data.iterdir()) == []


def test_wrong_md5_installs_nothing(tmp_path):
    "An archive whose md5 is neither the official one nor CIFAR10_MD5 is refused, with the md5 to check."
    small = tmp_path / 'small.tar.gz'
    archive(small, {name: 10 for name in FILES})
    result = run(tmp_path / 'data', CIFAR10_ARCHIVE=small)
    assert result.returncode != 0 and "expected c58f30108f718f92721af3b95e74349a (the official archive's)" in result.stderr
    assert 'CIFAR10_MD5=' in result.stderr and untouched(tmp_path / 'data')
    result = run(tmp_path / 'data', CIFAR10_ARCHIVE=small, CIFAR10_MD5='0' * 32)
    assert result.returncode != 0 and 'given by CIFAR10_MD5' in result.stderr and untouched(tmp_path / 'data')


def test_incomplete_archives_install_nothing(tmp_path):
    "A verified archive must still hold every file, each batch larger than its 30,720,000 bytes of pixels."
    big = {name: 30720001 for name in FILES[:5]}  # the five training batches, complete; checked first
    cases = {'truncated test batch': {**big, 'test_batch': 30720000, 'batches.meta': 158},
             'missing test batch': {**big, 'batches.meta': 158},
             'other folder': None}
    for what, sizes in cases.items():
        path = tmp_path / f'{what}.tar.gz'
        md5 = archive(path, sizes or {'x': 1}, folder='cifar-10-batches-py' if sizes else 'something-else')
        result = run(tmp_path / 'data', CIFAR10_ARCHIVE=path, CIFAR10_MD5=md5)
        assert result.returncode != 0, what
        assert ('lacks a file' in result.stderr) if sizes else ('has no cifar-10-batches-py' in result.stderr), (what, result.stderr)
        assert untouched(tmp_path / 'data'), (what, list((tmp_path / 'data').iterdir()))


def test_failed_downloads_leave_nothing(tmp_path):
    "A damaged download (wrong md5) and a failed one are errors and leave no file behind."
    small = tmp_path / 'small.tar.gz'
    archive(small, {name: 10 for name in FILES})
    result = run(tmp_path / 'data', CIFAR10_URL=small.as_uri())
    assert result.returncode != 0 and 'the download is damaged' in result.stderr and untouched(tmp_path / 'data')
    result = run(tmp_path / 'data', CIFAR10_URL=(tmp_path / 'no-such-file').as_uri())
    assert result.returncode != 0 and 'download failed' in result.stderr and untouched(tmp_path / 'data')


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM], ids=['Ctrl-C', 'SIGTERM'])
def test_interrupted_download_leaves_nothing(tmp_path, sig):
    "Interrupted in the middle of a download (the signal goes to the process group, as Ctrl-C sends it), the script removes the half-written archive."
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'curl').write_text('#!/usr/bin/env bash\n'  # writes part of an archive, then hangs
                               'while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done\n'
                               'head -c 1000000 /dev/zero > "$out"; exec sleep 60\n')
    (fake / 'curl').chmod(0o755)
    data = tmp_path / 'data'
    env = {**os.environ, 'NNDL_DATA': str(data), 'PATH': f"{fake}:{os.environ['PATH']}"}
    proc = subprocess.Popen(['bash', str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 30
    while not list(data.glob('.cifar-10-tmp.*/cifar-10-python.tar.gz')) and time.time() < deadline: time.sleep(0.1)
    assert list(data.glob('.cifar-10-tmp.*/cifar-10-python.tar.gz')), 'the fake download never started'
    os.killpg(proc.pid, sig)
    assert proc.wait(timeout=30) != 0
    assert untouched(data), list(data.iterdir())


@pytest.mark.skipif(not SHARED.is_file(), reason=f'no offline copy of CIFAR-10 at {SHARED}')
def test_install_from_a_local_copy(tmp_path):
    "With its md5, the offline copy installs every file; a second run does nothing; a damaged install is reported."
    data = tmp_path / 'data'
    result = run(data, CIFAR10_ARCHIVE=SHARED, CIFAR10_MD5=SHARED_MD5)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in data.iterdir()) == ['cifar-10-batches-py']
    assert set(FILES) <= {p.name for p in (data / 'cifar-10-batches-py').iterdir()}
    result = run(data, CIFAR10_ARCHIVE=SHARED)  # no md5 needed: nothing is read
    assert result.returncode == 0 and 'already in' in result.stdout
    (data / 'cifar-10-batches-py' / 'test_batch').write_bytes(b'')
    result = run(data, CIFAR10_ARCHIVE=SHARED, CIFAR10_MD5=SHARED_MD5)
    assert result.returncode != 0 and 'exists but is incomplete' in result.stderr
