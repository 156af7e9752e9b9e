package arena

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// genRepo writes "numlab", a Python package whose test suite does genuine work, into dir: modules source
// modules of integer and sequence routines (each with many mutation sites) and, for each, a test module
// whose tests check the routines against independent reference implementations over ranges of inputs. The
// work per test grows linearly with scale (scale 1: 10–80 ms a test on one core of the project's machine).
// The output depends only on the arguments, so the repo image it makes is built once per engine and reused.
func genRepo(dir string, modules, scale int) error {
	files := map[string]string{
		"README.md": "# numlab\n\nInteger and sequence routines, generated for ssr's benchmark: a suite with real work in it.\n\n" +
			"Run the tests with `python3 -m pytest`.\n",
		"pyproject.toml":     "[project]\nname = \"numlab\"\nversion = \"1.0.0\"\nrequires-python = \">=3.9\"\n\n[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\npythonpath = [\".\"]\n",
		"numlab/__init__.py": "\"\"\"numlab: integer and sequence routines.\"\"\"\n",
	}
	for i := 0; i < modules; i++ {
		files[fmt.Sprintf("numlab/m%02d.py", i)] = genModule(i)
		files[fmt.Sprintf("tests/test_m%02d.py", i)] = genTests(i, scale)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// genModule is source module i: the same routines with constants of its own, so that every module is a
// file of its own to mutate and its tests cover it alone.
func genModule(i int) string {
	mod := 65521 - 2*i // a prime for i = 0 (Adler-32's), odd for every i
	base := 2 + i%9
	step := 1 + i%4
	r := strings.NewReplacer("VARIANT_N", fmt.Sprint(i), "MOD_N", fmt.Sprint(mod), "BASE_N", fmt.Sprint(base), "STEP_N", fmt.Sprint(step))
	return r.Replace(`"""Integer and sequence routines, variant VARIANT_N."""

VARIANT = VARIANT_N
MOD = MOD_N
BASE = BASE_N
STEP = STEP_N


def collatz_steps(n):
    """Steps of the Collatz map from n down to 1."""
    if n < 1:
        raise ValueError("n must be positive")
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def primes_below(limit):
    """The primes p < limit, by the sieve of Eratosthenes."""
    if limit <= 2:
        return []
    flags = [True] * limit
    flags[0] = flags[1] = False
    p = 2
    while p * p < limit:
        if flags[p]:
            for k in range(p * p, limit, p):
                flags[k] = False
        p += 1
    return [i for i in range(limit) if flags[i]]


def gcd(a, b):
    """Greatest common divisor, never negative."""
    while b != 0:
        a, b = b, a % b
    return abs(a)


def digit_sum(n, base=BASE):
    """Sum of the digits of |n| in base."""
    if base < 2:
        raise ValueError("base must be at least 2")
    total = 0
    n = abs(n)
    while n > 0:
        total += n % base
        n //= base
    return total


def window_max(values, width):
    """Maximum of every window of width consecutive values."""
    if width < 1 or width > len(values):
        return []
    out = []
    for i in range(len(values) - width + 1):
        best = values[i]
        for j in range(i + 1, i + width):
            if values[j] > best:
                best = values[j]
        out.append(best)
    return out


def checksum(data, mod=MOD):
    """Adler-style checksum of a byte sequence."""
    a, b = 1, 0
    for x in data:
        a = (a + x) % mod
        b = (b + a) % mod
    return (b << 16) | a


def stepped_sum(n):
    """Sum of 0, STEP, 2*STEP, ... below n."""
    total = 0
    k = 0
    while k < n:
        total += k
        k += STEP
    return total


def is_sorted(values):
    """Whether values never decrease."""
    for i in range(1, len(values)):
        if values[i - 1] > values[i]:
            return False
    return True
`)
}

// genTests is the test module of source module i; each test repeats a fixed amount of checking scale times.
func genTests(i, scale int) string {
	r := strings.NewReplacer("MODULE_N", fmt.Sprintf("m%02d", i), "SCALE_N", fmt.Sprint(scale), "SEED_N", fmt.Sprint(1000+37*i))
	return r.Replace(`import itertools
import math
import random
import zlib

import pytest

from numlab import MODULE_N as m

SCALE = SCALE_N


def collatz_reference(n, memo={1: 0}):
    path = []
    while n not in memo:
        path.append(n)
        n = 3 * n + 1 if n % 2 else n // 2
    steps = memo[n]
    for x in reversed(path):
        steps += 1
        memo[x] = steps
    return memo[path[0]] if path else steps


def test_collatz_matches_reference():
    for _ in range(SCALE):
        for n in range(1, 6000):
            assert m.collatz_steps(n) == collatz_reference(n)


def test_collatz_rejects_zero():
    with pytest.raises(ValueError):
        m.collatz_steps(0)


def test_primes_match_trial_division():
    for _ in range(SCALE):
        primes = m.primes_below(20000)
        assert primes[:5] == [2, 3, 5, 7, 11]
        for n in range(2, 3000):
            assert (n in primes) == all(n % d for d in range(2, math.isqrt(n) + 1))
    assert m.primes_below(2) == []


def test_gcd_matches_math():
    rng = random.Random(SEED_N)
    for _ in range(SCALE):
        for _ in range(30000):
            a, b = rng.randrange(-10**6, 10**6), rng.randrange(-10**6, 10**6)
            assert m.gcd(a, b) == math.gcd(a, b)


def test_digit_sum_matches_text():
    for _ in range(SCALE):
        for n in range(-20000, 20000, 7):
            assert m.digit_sum(n, 10) == sum(int(c) for c in str(abs(n)))
    assert m.digit_sum(255, 2) == 8
    with pytest.raises(ValueError):
        m.digit_sum(5, 1)


def test_window_max_matches_builtin():
    rng = random.Random(SEED_N + 1)
    for _ in range(40 * SCALE):
        values = [rng.randrange(1000) for _ in range(300)]
        width = rng.randrange(1, 20)
        assert m.window_max(values, width) == [max(values[i:i + width]) for i in range(len(values) - width + 1)]
    assert m.window_max([1, 2], 3) == []


@pytest.mark.parametrize("size", [0, 1, 1000, 65536])
def test_checksum_of_zeros(size):
    assert m.checksum(bytes(size)) == ((size % m.MOD) << 16) | 1


def test_checksum_matches_adler32():
    rng = random.Random(SEED_N + 2)
    for _ in range(60 * SCALE):
        data = bytes(rng.randrange(256) for _ in range(800))
        if m.MOD == 65521:
            assert m.checksum(data) == zlib.adler32(data)
        prefix = list(itertools.accumulate(data))
        a = (1 + prefix[-1]) % m.MOD
        b = (len(data) + sum(prefix)) % m.MOD
        assert m.checksum(data) == (b << 16) | a


def test_stepped_sum_matches_range():
    for _ in range(SCALE):
        for n in range(0, 1500):
            assert m.stepped_sum(n) == sum(range(0, n, m.STEP))


def test_is_sorted():
    rng = random.Random(SEED_N + 3)
    for _ in range(3000 * SCALE):
        values = [rng.randrange(50) for _ in range(rng.randrange(0, 12))]
        assert m.is_sorted(values) == (values == sorted(values))
`)
}
