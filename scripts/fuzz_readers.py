#!/usr/bin/env python
"""Coverage-guided fuzzing (atheris / libFuzzer) of the NPY, PKL and BVH motion readers.

    python scripts/fuzz_readers.py --reader npy|pkl|bvh --seconds N

Every input is written to a file and read with `read_npy` / `read_pkl` / `read_bvh`. Expected
outcomes: a `MotionFormatError` (`UnsafePickleError` included) or `FileNotFoundError` whose
message names the file, warnings, or a list of sane `Motion`s. Anything else is a crash: another
exception (IndexError, struct.error, OverflowError, MemoryError, RecursionError, ...), an error
message that does not name the file, a read that takes longer than `--timeout` seconds, or a
`Motion` with a non-finite value (in a field the library uses: extras other than BVH `local_pos` are passed
through as they are, with a warning), a non-unit quaternion or a bad frame rate. Fuzzing goes on after a
crash; the first input of each distinct crash (exception type + innermost library frame) is saved
under `fuzz_crashes/<reader>/` and its traceback printed. At the end the script prints
`executions`, `execs/s` and `crashes` and exits 1 if there was any crash (0 otherwise).

Inputs: one mode byte, then either the raw file bytes (mode byte even) or a structured recipe
(mode byte odd) that builds a nearly valid file (valid NPY header / pickle stream / BVH hierarchy)
with perturbed values, so the fuzzer also reaches the checks behind the parsers. Seeds come from
the real files in ../shared/data (cut to a few frames) plus small synthetic files.
Replay one saved input: `--replay fuzz_crashes/bvh/crash-....bin`.
"""
from __future__ import annotations

import argparse, hashlib, io, logging, math, os, pickle, resource, signal, sys, tempfile, time, traceback, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / 'shared' / 'data'
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))   # the checkout's package, installed or not
EXT = {'npy': '.npy', 'pkl': '.pkl', 'bvh': '.bvh'}
MAX_LEN = {'npy': 4096, 'pkl': 8192, 'bvh': 16384}


class Hang(BaseException):
    "Raised by the alarm when one read takes longer than the time limit (not an Exception: no reader may swallow it)."


# ----------------------------------------------------------------------------------------------
# seeds
def _real_npy_rows(n: int = 40):
    import numpy as np
    p = DATA / 'g1' / 'walkrun_g1_29dof.npy'
    if not p.exists(): return None
    a = np.load(p)
    return a[:n]


def seeds(reader: str) -> list[bytes]:
    "Seed inputs (mode byte 0 = raw file bytes) from the real data and small synthetic files."
    import numpy as np, joblib
    out = []
    def npy_bytes(a):
        b = io.BytesIO(); np.save(b, a); return b.getvalue()
    if reader == 'npy':
        real = _real_npy_rows(40)
        if real is not None:
            a = real.copy(); a[30:, -1] = 1; a[35:, -1] = 0       # two clips: 30 frames, bridge, 5 frames
            out += [npy_bytes(real[:8]), npy_bytes(a), npy_bytes(real[:6].astype(np.float32))]
        t = np.arange(6) / 30.0
        syn = np.concatenate([t[:, None], np.zeros((6, 3)), np.tile([1., 0, 0, 0], (6, 1)), np.zeros((6, 2)),
                              np.array([0, 0, 1, 0, 0, 0.])[:, None]], 1)
        out += [npy_bytes(syn), npy_bytes(syn[:1]), npy_bytes(syn.T.copy()), npy_bytes(syn.astype(np.int16))]
    elif reader == 'pkl':
        clips = {}
        for f in ('walkrun_g1_29dof.pkl', 'walkrun_g1_23dof.pkl'):
            p = DATA / 'g1' / f
            if p.exists():
                d = joblib.load(p)
                for k in list(d)[:2]: clips[f'{f[10:15]}_{k}'] = {kk: (v[:4] if hasattr(v, 'shape') and v.ndim else v) for kk, v in d[k].items()}
        if not clips:
            clips = {'c': {'root_trans_offset': np.zeros((3, 3), np.float32), 'root_rot': np.tile([0, 0, 0, 1.], (3, 1)),
                           'dof': np.zeros((3, 4)), 'fps': 30.0}}
        one = dict(list(clips.items())[:1])
        for proto in (2, 4, 5): out.append(pickle.dumps(one, protocol=proto))
        out.append(pickle.dumps(clips, protocol=4))
        for comp in (0, 3, ('gzip', 1), ('bz2', 1), ('lzma', 1)):
            with tempfile.TemporaryDirectory() as td:
                p = Path(td) / 'x.pkl'; joblib.dump(one, p, compress=comp); out.append(p.read_bytes())
        smpl = {'s': {'pose_aa': np.zeros((3, 72), np.float32), 'root_trans_offset': np.zeros((3, 3)), 'fps': 30}}
        out.append(pickle.dumps(smpl, protocol=4))
        out.append(pickle.dumps(next(iter(one.values())), protocol=4))   # a single motion dict
    elif reader == 'bvh':
        for f in ('test_mocapbank.bvh', 'test_freebvh.bvh', '01_01.bvh'):
            p = DATA / 'bvh' / f
            if not p.exists(): continue
            lines = p.read_text(errors='replace').splitlines()
            i = next(k for k, l in enumerate(lines) if l.strip().upper().startswith('FRAME TIME'))
            keep = lines[:i + 1] + lines[i + 1:i + 3]
            keep = [('Frames: 2' if l.strip().lower().startswith('frames:') else l) for l in keep]
            out.append(('\n'.join(keep) + '\n').encode())
        out.append(b"HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
                   b" JOINT Leg\n {\n  OFFSET 0 -1 0\n  CHANNELS 3 Zrotation Xrotation Yrotation\n  End Site\n  {\n   OFFSET 0 -1 0\n  }\n }\n}\n"
                   b"MOTION\nFrames: 2\nFrame Time: 0.033333\n0 1 0 0 0 0 10 20 30\n0 1 0 5 0 0 10 20 30\n")
    return [b'\x00' + s for s in out]


# ----------------------------------------------------------------------------------------------
# structured inputs (mode byte odd)
_SPECIAL = [float('nan'), float('inf'), -float('inf'), 0.0, -0.0, 1e308, -1e308, 5e-324, 1e-320, 1.0, -1.0, 0.5, 2.0, 360.0, 1e20]


def _value(fdp):
    return _SPECIAL[fdp.ConsumeIntInRange(0, len(_SPECIAL) - 1)] if fdp.ConsumeBool() else fdp.ConsumeRegularFloat()


def structured_npy(fdp) -> bytes:
    import numpy as np
    T, N = fdp.ConsumeIntInRange(0, 12), fdp.ConsumeIntInRange(0, 6)
    t = np.arange(T) / 30.0
    a = np.concatenate([t[:, None], np.zeros((T, 3)), np.tile([1., 0, 0, 0], (T, 1)), np.zeros((T, N)),
                        (np.arange(T) % 5 == 3)[:, None].astype(float)], 1)
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        if a.size == 0: break
        r, c = fdp.ConsumeIntInRange(0, a.shape[0] - 1), fdp.ConsumeIntInRange(0, a.shape[1] - 1)
        kind = fdp.ConsumeIntInRange(0, 3)
        if kind == 0: a[r, c] = _value(fdp)
        elif kind == 1: a[:, c] = _value(fdp)                    # a whole column (time, a flag, a quaternion part)
        elif kind == 2: a[r, 4:8] = [_value(fdp) for _ in range(4)] if a.shape[1] >= 8 else a[r, 4:8]
        else: a[r:, 0] = a[r:, 0][::-1] if a.shape[1] else a[r:, 0]
    dt = [np.float64, np.float32, np.float16, np.int32, np.uint8, np.bool_, np.complex64, np.int64][fdp.ConsumeIntInRange(0, 7)]
    with np.errstate(all='ignore'): a = a.astype(dt)
    shape = fdp.ConsumeIntInRange(0, 3)
    if shape == 1: a = a.reshape(-1)
    elif shape == 2: a = a[None]
    b = io.BytesIO(); np.save(b, np.asfortranarray(a) if fdp.ConsumeBool() else a); return b.getvalue()


def structured_pkl(fdp) -> bytes:
    import numpy as np, joblib
    dts = [np.float32, np.float64, np.int64, np.bool_, np.complex128, np.uint8, object, 'U3']
    def arr(shape):
        dt = dts[fdp.ConsumeIntInRange(0, len(dts) - 1)] if fdp.ConsumeProbability() < 0.2 else np.float32
        a = np.zeros(shape, dtype=np.float64)
        if a.ndim == 2 and a.shape[1] == 4: a[:, 3] = 1.0
        for _ in range(fdp.ConsumeIntInRange(0, 3)):
            if a.size: a.flat[fdp.ConsumeIntInRange(0, a.size - 1)] = _value(fdp)
        with np.errstate(all='ignore'): return a.astype(dt)
    lib = {}
    for ci in range(fdp.ConsumeIntInRange(0, 3)):
        T = fdp.ConsumeIntInRange(0, 6)
        jit = lambda: T + (fdp.ConsumeIntInRange(-1, 1) if fdp.ConsumeProbability() < 0.2 else 0)
        wid = lambda w: w + (fdp.ConsumeIntInRange(-1, 1) if fdp.ConsumeProbability() < 0.2 else 0)
        d = {}
        if fdp.ConsumeBool():
            d['dof'] = arr((max(jit(), 0), fdp.ConsumeIntInRange(0, 5)))
            d['root_rot'] = arr((max(jit(), 0), max(wid(4), 0)))
        else:
            key = ['pose_aa', 'pose_quat', 'pose_quat_global'][fdp.ConsumeIntInRange(0, 2)]
            d[key] = arr((max(jit(), 0), 72)) if key == 'pose_aa' and fdp.ConsumeBool() else arr((max(jit(), 0), 24, 3 if key == 'pose_aa' else 4))
        d['root_trans_offset'] = arr((max(jit(), 0), max(wid(3), 0)))
        fps = [30.0, 50, 0.0, -1.0, float('nan'), float('inf'), '30', None, [30.0], np.float32(30), np.array([30.0, 50.0]),
               1e-320, True][fdp.ConsumeIntInRange(0, 12)]
        if fdp.ConsumeProbability() < 0.9: d['fps'] = fps
        for k in list(d):
            if fdp.ConsumeProbability() < 0.05: del d[k]
        if fdp.ConsumeProbability() < 0.1: d['extra'] = arr((T, 2)) if fdp.ConsumeBool() else 'meta'
        name = [f'clip{ci}', ci, (ci, 'x'), 3.5, ''][fdp.ConsumeIntInRange(0, 4)]
        lib[name] = d if fdp.ConsumeProbability() < 0.97 else [1, 2]
    obj = lib if fdp.ConsumeProbability() < 0.9 else (next(iter(lib.values())) if lib else [])
    how = fdp.ConsumeIntInRange(0, 5)
    if how < 4: return pickle.dumps(obj, protocol=[0, 2, 4, 5][how])
    with tempfile.TemporaryDirectory() as td:
        p = Path(td) / 'x.pkl'; joblib.dump(obj, p, compress=3 if how == 5 else 0); return p.read_bytes()


def structured_bvh(fdp) -> bytes:
    chans = ['Xposition', 'Yposition', 'Zposition', 'Xrotation', 'Yrotation', 'Zrotation']
    lines, n_ch, depth = ['HIERARCHY'], 0, 0
    J = fdp.ConsumeIntInRange(1, 5)
    for j in range(J):
        ind = ' ' * depth
        lines.append(f"{ind}{'ROOT' if j == 0 else 'JOINT'} j{j}")
        lines.append(f'{ind}{{')
        lines.append(f'{ind} OFFSET {_value(fdp):g} {_value(fdp):g} {_value(fdp):g}' if fdp.ConsumeProbability() < 0.3
                     else f'{ind} OFFSET 0 1 0')
        k = fdp.ConsumeIntInRange(0, 6)
        ch = [chans[fdp.ConsumeIntInRange(0, 5)] for _ in range(k)] if fdp.ConsumeProbability() < 0.3 else chans[:k] if j == 0 else chans[3:3 + min(k, 3)]
        lines.append(f'{ind} CHANNELS {len(ch) + (fdp.ConsumeIntInRange(-1, 1) if fdp.ConsumeProbability() < 0.1 else 0)} ' + ' '.join(ch))
        n_ch += len(ch)
        depth += 1
        if fdp.ConsumeProbability() < 0.3:
            lines += [f'{ind} End Site', f'{ind} {{', f'{ind}  OFFSET 0 0.1 0', f'{ind} }}']
        if fdp.ConsumeProbability() < 0.3 and depth > 1:
            lines.append(f"{' ' * (depth - 1)}}}"); depth -= 1
    lines += ['}' for _ in range(depth - (fdp.ConsumeIntInRange(-1, 1) if fdp.ConsumeProbability() < 0.1 else 0))]
    lines.append('MOTION')
    T = fdp.ConsumeIntInRange(0, 5)
    lines.append(f'Frames: {T + (fdp.ConsumeIntInRange(-3, 3) if fdp.ConsumeProbability() < 0.2 else 0)}')
    ft = [0.0333, 0.0, -1.0, 1e-320, 1e-300, float('inf'), float('nan'), 1e300, 'abc'][fdp.ConsumeIntInRange(0, 8)] \
        if fdp.ConsumeProbability() < 0.3 else 0.0333
    lines.append(f'Frame Time: {ft}')
    for _ in range(T):
        vals = [f'{_value(fdp):g}' if fdp.ConsumeProbability() < 0.1 else '0' for _ in range(n_ch)]
        if fdp.ConsumeProbability() < 0.05: vals = vals[:-1]
        lines.append(' '.join(vals))
    return ('\n'.join(lines) + '\n').encode()


STRUCTURED = {'npy': structured_npy, 'pkl': structured_pkl, 'bvh': structured_bvh}


# ----------------------------------------------------------------------------------------------
# one input
def motion_problem(m) -> str | None:
    "Why a Motion returned by a reader is not sane (None if it is)."
    import numpy as np
    if not (isinstance(m.fps, float) and math.isfinite(m.fps) and m.fps > 0): return f"fps {m.fps!r}"
    if m.n_frames < 1: return "no frames"
    arrays = {k: getattr(m, k) for k in ('root_pos', 'root_quat_wxyz', 'dof_pos', 'joint_quat_wxyz', 'time', 'offsets')}
    # extras are passed through untouched (a PKL's unknown per-frame fields, with a warning when they hold NaN),
    # except 'local_pos', which read_bvh computes and joint_positions uses
    if isinstance(m.extras.get('local_pos'), np.ndarray): arrays['extras[local_pos]'] = m.extras['local_pos']
    for k, a in arrays.items():
        if a is None: continue
        if np.issubdtype(a.dtype, np.number) and not np.isfinite(a).all(): return f"non-finite values in {k}"
    for k in ('root_quat_wxyz', 'joint_quat_wxyz'):
        q = getattr(m, k)
        if q is not None and not (np.abs(np.linalg.norm(q, axis=-1) - 1) < 1e-3).all(): return f"non-unit quaternion in {k}"
    return None


class Fuzzer:
    def __init__(self, reader: str, seconds: float, crash_dir: Path, timeout: float):
        from motion_vqvae import io as mio
        self.reader, self.seconds, self.timeout = reader, seconds, timeout
        self.read = {'npy': mio.read_npy, 'pkl': mio.read_pkl, 'bvh': mio.read_bvh}[reader]
        self.expected = (mio.MotionFormatError, FileNotFoundError)
        self.crash_dir = crash_dir / reader
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f'fuzz_{reader}_', dir='/dev/shm' if os.path.isdir('/dev/shm') else None))
        self.path = self.tmpdir / f'input{EXT[reader]}'
        self.execs, self.crash_inputs, self.kinds, self.t0 = 0, 0, {}, None

    def file_bytes(self, data: bytes) -> bytes:
        if not data or data[0] % 2 == 0: return data[1:]
        import atheris
        return STRUCTURED[self.reader](atheris.FuzzedDataProvider(data[1:]))

    def check(self, data: bytes) -> tuple[str, str] | None:
        "Run the reader on one input -> (crash key, description) or None when the outcome is expected."
        try: content = self.file_bytes(data)
        except Exception: return None        # a recipe the generator cannot build: not the reader's fault
        self.path.write_bytes(content)
        signal.setitimer(signal.ITIMER_REAL, self.timeout)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                ms = self.read(self.path)
        except Hang:
            return 'hang', f"read took more than {self.timeout} s"
        except self.expected as e:
            if self.path.name not in str(e) and str(self.path) not in str(e):
                return f'unclear:{type(e).__name__}', f"error does not name the file: {e}"
            return None
        except BaseException as e:                         # noqa: BLE001 - everything else is a crash
            if isinstance(e, KeyboardInterrupt): raise
            tb = traceback.extract_tb(e.__traceback__)
            lib = [f for f in tb if 'motion_vqvae' in f.filename] or tb
            where = f"{Path(lib[-1].filename).name}:{lib[-1].lineno}" if lib else '?'
            return f'{type(e).__name__}@{where}', ''.join(traceback.format_exception(e))[-3000:]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if not isinstance(ms, list) or not ms: return 'empty-result', f"reader returned {ms!r}"
        for m in ms:
            p = motion_problem(m)
            if p: return f'bad-motion:{p.split(" in ")[-1]}', f"{m!r}: {p}"
        return None

    def one_input(self, data: bytes):
        if self.t0 is None: self.t0 = time.time()
        self.execs += 1
        res = self.check(data)
        if res is not None:
            key, desc = res
            self.crash_inputs += 1
            if key not in self.kinds:
                self.crash_dir.mkdir(parents=True, exist_ok=True)
                safe = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in key)[:60]
                out = self.crash_dir / f"crash-{safe}-{hashlib.sha1(data).hexdigest()[:12]}.bin"
                out.write_bytes(data)
                self.kinds[key] = out
                print(f"\n=== CRASH {key} (input saved to {out})\n{desc}\n", file=sys.stderr, flush=True)
        if time.time() - self.t0 > self.seconds: self.finish()

    def summary(self) -> str:
        dt = max(time.time() - (self.t0 or time.time()), 1e-9)
        lines = [f"reader={self.reader} executions={self.execs} seconds={dt:.1f} execs/s={self.execs / dt:.1f} "
                 f"crashes={len(self.kinds)} crash_inputs={self.crash_inputs}"]
        lines += [f"  crash {k}: {p}" for k, p in self.kinds.items()]
        return '\n'.join(lines)

    def finish(self):
        print('\n' + self.summary(), flush=True)
        sys.stderr.flush()
        for f in self.tmpdir.glob('*'): f.unlink()
        self.tmpdir.rmdir()
        os._exit(1 if self.kinds else 0)


def _limit_memory(mb: int):
    "Cap the address space so a huge allocation raises MemoryError instead of swapping the shared machine."
    with open('/proc/self/status') as f: vm = next(int(l.split()[1]) for l in f if l.startswith('VmSize:')) // 1024
    lim = (vm + mb) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (lim, lim))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--reader', choices=sorted(EXT), required=True)
    ap.add_argument('--seconds', type=float, default=60.0, help='how long to fuzz')
    ap.add_argument('--timeout', type=float, default=5.0, help='seconds one read may take before it counts as a hang')
    ap.add_argument('--crash-dir', default=str(ROOT / 'fuzz_crashes'))
    ap.add_argument('--corpus', default=None, help='corpus directory kept between runs (default: a fresh temporary one)')
    ap.add_argument('--mem-mb', type=int, default=1500, help='address space allowed on top of the imported libraries')
    ap.add_argument('--seed', type=int, default=0, help='libFuzzer random seed (0 = random)')
    ap.add_argument('--replay', nargs='+', default=None, help='run these saved inputs once and print what happens')
    args = ap.parse_args(argv)

    import atheris
    with atheris.instrument_imports(include=['motion_vqvae', 'joblib']):
        import motion_vqvae.io  # noqa: F401
        import joblib.numpy_pickle  # noqa: F401
    for name, f in vars(pickle._Unpickler).items():        # the pure-Python unpickler the safe loader builds on
        if callable(f) and hasattr(f, '__code__'): atheris.instrument_func(f)
    logging.getLogger('motion_vqvae').setLevel(logging.ERROR)
    def alarm(signum, frame): raise Hang()
    signal.signal(signal.SIGALRM, alarm)

    fz = Fuzzer(args.reader, args.seconds, Path(args.crash_dir), args.timeout)
    if args.replay:
        for p in args.replay:
            r = fz.check(Path(p).read_bytes())
            print(f"{p}: {'ok (expected outcome)' if r is None else r[0]}\n{'' if r is None else r[1]}")
        return 0
    corpus = Path(args.corpus) if args.corpus else Path(tempfile.mkdtemp(prefix=f'fuzz_corpus_{args.reader}_'))
    corpus.mkdir(parents=True, exist_ok=True)
    for s in seeds(args.reader):
        (corpus / f"seed-{hashlib.sha1(s).hexdigest()[:12]}").write_bytes(s)
    _limit_memory(args.mem_mb)
    lf = [sys.argv[0], str(corpus), f'-max_len={MAX_LEN[args.reader]}', f'-max_total_time={int(args.seconds) + 60}',
          '-rss_limit_mb=0', '-print_final_stats=0', '-close_fd_mask=0']
    if args.seed: lf.append(f'-seed={args.seed}')
    print(f"fuzzing {args.reader} for {args.seconds:g} s, corpus {corpus}, crashes to {fz.crash_dir}", flush=True)
    atheris.Setup(lf, fz.one_input)
    atheris.Fuzz()


if __name__ == '__main__':
    sys.exit(main())
