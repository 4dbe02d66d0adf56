"""Completeness fuzz: the default `jaxfp.enumerate_fixed_points(net)` (Auto) against an
independent dense Newton search, on random small nets with bounded activations.

Usage: `python benchmarks/completeness_fuzz.py [--nets N] [--seed S] [--minutes M]
[--near-folds] [--out PATH]`. Writes benchmarks/results/completeness_fuzz.json (the load
average before and after, per net: activation, form, d, gain, bias scale, the method chosen,
complete, the number of points listed and found by the dense search, the points missing from
the list, the listed points that are not fixed points, and the time of the call).

Nets: F(x) = σ(Wx + b) or W σ(x) + b (both forms of `jaxfp.looped.LoopedNet`), σ one of tanh,
sigmoid, sin, a hard clip (hardtanh, a piecewise-linear σ: Auto takes exact regions) and erf
(a user-written `Activation`, not one of the package's, so that no code path knows its name);
d = 2 … 6; W = g·A/‖A‖₂ with A Gaussian, symmetric Gaussian or I + noise, and the gain g
log-uniform in [0.5, 8]; b Gaussian with a scale in [0, 2] (times g for the affine-sigma form,
so that the bias matters at high gain).

The dense search shares nothing with the package's enumeration: its own σ in `jax.numpy`, its
own starts (uniform in its own a-priori box, a grid for d ≤ 3, and iterates of F), plain Newton
on x − F(x) in float64 with `jnp.linalg.solve`, and its own deduplication. A point it finds that
the list lacks while the result says `complete: true` is a **false complete**: the script
prints it and the run's exit status is 1.
"""

import argparse
import json
import math
import os
import pathlib
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.scipy.special import erf  # noqa: E402

import jaxfp  # noqa: E402
from jaxfp.looped import Activation  # noqa: E402
from jaxfp.looped._rounding import TRANSCENDENTAL_ULPS, as_float, round_down, round_up  # noqa: E402

ACTIVATIONS = ("tanh", "sigmoid", "sin", "hardtanh", "erf")
FORMS = ("sigma-affine", "affine-sigma")
DIMS = (2, 3, 4, 5, 6)
# W's shape: Gaussian (mostly rotations: few fixed points), symmetric (real eigenvalues, many
# fixed points at high gain) or g·(I + noise) (up to 3^d fixed points, close pairs near folds).
FAMILIES = ("gaussian", "symmetric", "near-identity")  # and "near-fold" (`--near-folds`)
# A fixed point of the dense search is a listed one within this (absolute, per coordinate,
# relative to 1 + |x|); a listed point is a fixed point when its residual is below RESIDUAL.
MATCH = 1e-6
RESIDUAL = 1e-8
NEWTON_STEPS = 60
TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Activation):
    """σ = erf, written as a user would (outward rounded by 64 ulps; σ' peaks at 0)."""

    def __call__(self, u):
        return erf(as_float(u))

    def derivative(self, u):
        u = as_float(u)
        return TWO_OVER_ROOT_PI * jnp.exp(-u * u)

    def interval(self, lower, upper):
        lower, upper = as_float(lower), as_float(upper)
        low = round_down(erf(lower), TRANSCENDENTAL_ULPS)
        high = round_up(erf(upper), TRANSCENDENTAL_ULPS)
        return jnp.clip(low, -1.0, 1.0), jnp.clip(high, -1.0, 1.0)

    def derivative_interval(self, lower, upper):
        lower, upper = as_float(lower), as_float(upper)
        at_lower, at_upper = self.derivative(lower), self.derivative(upper)
        peak = (lower <= 0) & (upper >= 0)
        high = jnp.where(peak, TWO_OVER_ROOT_PI, jnp.maximum(at_lower, at_upper))
        low = jnp.minimum(at_lower, at_upper)
        low = jnp.clip(round_down(low, TRANSCENDENTAL_ULPS), 0.0, TWO_OVER_ROOT_PI)
        high = jnp.clip(round_up(high, TRANSCENDENTAL_ULPS), 0.0, 1.2)
        return low, high

    @property
    def output_range(self):
        return (-1.0, 1.0)

    @property
    def name(self):
        return "user-erf"


# The dense search's own σ (not the package's) and its own range.
SIGMA = {
    "tanh": (jnp.tanh, (-1.0, 1.0)),
    "sigmoid": (jax.nn.sigmoid, (0.0, 1.0)),
    "sin": (jnp.sin, (-1.0, 1.0)),
    "hardtanh": (lambda u: jnp.clip(u, -1.0, 1.0), (-1.0, 1.0)),
    "erf": (erf, (-1.0, 1.0)),
}


def package_activation(name: str) -> Activation:
    if name == "erf":
        return Erf()
    return jaxfp.looped.activation_from_name(name)


def make_case(
    rng: np.random.Generator,
    activation: str,
    form: str,
    dim: int,
    family: str,
    gain: float,
    bias_scale: float,
) -> dict:
    """One net: W = gain·A/‖A‖₂ with A of the given family, b Gaussian times `bias_scale`
    (times the gain for the affine-sigma form)."""
    matrix = rng.standard_normal((dim, dim))
    if family == "symmetric":
        matrix = matrix + matrix.T
    elif family == "near-identity":
        matrix = np.eye(dim) + rng.uniform(0.05, 0.6) * matrix / np.sqrt(dim)
    weight = gain * matrix / np.linalg.norm(matrix, 2)
    bias = bias_scale * rng.standard_normal(dim) * (gain if form == "affine-sigma" else 1.0)
    return {
        "activation": activation,
        "family": family,
        "form": form,
        "d": dim,
        "gain": gain,
        "bias_scale": bias_scale,
        "W": weight,
        "b": bias,
    }


def random_case(rng: np.random.Generator) -> dict:
    """A net drawn from the fuzz's distribution (module docstring)."""
    return make_case(
        rng,
        activation=str(rng.choice(ACTIVATIONS)),
        form=str(rng.choice(FORMS)),
        dim=int(rng.choice(DIMS)),
        family=str(rng.choice(FAMILIES)),
        gain=float(np.exp(rng.uniform(np.log(0.5), np.log(8.0)))),
        bias_scale=float(rng.uniform(0.0, 2.0)),
    )


def near_fold_case(rng: np.random.Generator, n_random: int, seed: int) -> dict:
    """A net a bias step away from a fold (two fixed points about to merge): σ = tanh, sin or
    erf, W = g·(I + noise) with d = 2 … 4, b = t·b₀, and t bisected (on the dense search's
    count) to within 1e-7 of where the count changes, on the side with more points. Such
    near-coincident pairs, nearly singular I − J, are where a proof is hardest."""
    while True:
        case = make_case(
            rng,
            activation=str(rng.choice(("tanh", "sin", "erf"))),
            form=str(rng.choice(FORMS)),
            dim=int(rng.choice((2, 3, 4))),
            family="near-identity",
            gain=float(rng.uniform(1.5, 4.0)),
            bias_scale=1.0,
        )
        direction = case["b"]

        def count(t, case=case, direction=direction):
            return len(dense_search(dict(case, b=t * direction), n_random, seed))

        grid = np.linspace(0.0, 1.5, 16)
        counts = [count(t) for t in grid]
        changes = [i for i in range(len(grid) - 1) if counts[i] != counts[i + 1]]
        if not changes:
            continue
        i = int(rng.choice(changes))
        low, high, at_low, at_high = grid[i], grid[i + 1], counts[i], counts[i + 1]
        while high - low > 1e-7:
            middle = 0.5 * (low + high)
            at_middle = count(middle)
            if at_middle == at_low:
                low = middle
            else:
                high, at_high = middle, at_middle
        t = low if at_low > at_high else high
        case.update(b=t * direction, family="near-fold", bias_scale=float(t))
        return case


def _map(name: str, form: str):
    sigma = SIGMA[name][0]
    if form == "sigma-affine":
        return lambda weight, bias, x: sigma(weight @ x + bias)
    return lambda weight, bias, x: weight @ sigma(x) + bias


_SEARCHES: dict = {}


def _search_fn(name: str, form: str):
    """Compiled Newton on x − F(x) from a batch of starts (one per activation and form)."""
    key = (name, form)
    if key not in _SEARCHES:
        fmap = _map(name, form)

        def newton(weight, bias, x):
            def residual(y):
                return y - fmap(weight, bias, y)

            def step(y, _):
                jac = jax.jacfwd(residual)(y)
                update = jnp.linalg.solve(jac, residual(y))
                update = jnp.where(jnp.all(jnp.isfinite(update)), update, 0.0)
                return y - update, None

            y = jax.lax.scan(step, x, None, length=NEWTON_STEPS)[0]
            return y, jnp.max(jnp.abs(residual(y)))

        def iterate(weight, bias, x):
            return jax.lax.fori_loop(0, 50, lambda _, y: fmap(weight, bias, y), x)

        _SEARCHES[key] = (
            jax.jit(jax.vmap(newton, in_axes=(None, None, 0))),
            jax.jit(jax.vmap(iterate, in_axes=(None, None, 0))),
        )
    return _SEARCHES[key]


def dedup(points: np.ndarray, tolerance: float = MATCH) -> np.ndarray:
    """Distinct rows (greedy, ∞-norm relative to 1 + |x|)."""
    kept: list[np.ndarray] = []
    for point in points:
        scale = 1.0 + np.abs(point)
        if not any(np.all(np.abs(point - other) <= tolerance * scale) for other in kept):
            kept.append(point)
    return np.array(kept).reshape(-1, points.shape[1])


def dense_search(case: dict, n_random: int, seed: int) -> np.ndarray:
    """Every fixed point that plain Newton finds from many starts in the range box."""
    name, form, dim = case["activation"], case["form"], case["d"]
    weight, bias = jnp.asarray(case["W"]), jnp.asarray(case["b"])
    low, high = SIGMA[name][1]
    if form == "sigma-affine":
        lower, upper = np.full(dim, low), np.full(dim, high)
    else:  # W·[low, high]^d + b
        middle, radius = 0.5 * (low + high), 0.5 * (high - low)
        centre = case["W"] @ np.full(dim, middle) + case["b"]
        spread = np.abs(case["W"]).sum(axis=1) * radius
        lower, upper = centre - spread, centre + spread
    rng = np.random.default_rng(seed)
    starts = [lower + (upper - lower) * rng.random((n_random, dim))]
    per_axis = {2: 40, 3: 12}.get(dim)
    if per_axis:
        axes = [np.linspace(lower[i], upper[i], per_axis) for i in range(dim)]
        starts.append(np.stack(np.meshgrid(*axes), -1).reshape(-1, dim))
    starts = np.concatenate(starts)
    newton, iterate = _search_fn(name, form)
    attractors = np.asarray(iterate(weight, bias, jnp.asarray(starts[:256])))
    starts = np.concatenate([starts, attractors])
    # Pad to a multiple of 1024 so that few shapes compile.
    size = -(-len(starts) // 1024) * 1024
    starts = np.concatenate([starts, starts[: size - len(starts)]])
    found, residual = (np.asarray(v) for v in newton(weight, bias, jnp.asarray(starts)))
    good = np.isfinite(residual) & (residual < 1e-11)
    # Points far outside the box are not fixed points of F (every one lies in the box).
    good &= np.all((found >= lower - 1e-6) & (found <= upper + 1e-6), axis=1)
    return dedup(found[good])


def residuals(case: dict, points: np.ndarray) -> np.ndarray:
    if not len(points):
        return np.zeros(0)
    fmap = _map(case["activation"], case["form"])
    weight, bias = jnp.asarray(case["W"]), jnp.asarray(case["b"])
    mapped = np.asarray(jax.vmap(lambda x: fmap(weight, bias, x))(jnp.asarray(points)))
    return np.max(np.abs(points - mapped), axis=1)


def missing_from(listed: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Rows of `found` with no row of `listed` within MATCH."""
    if not len(found):
        return found
    if not len(listed):
        return found
    scale = 1.0 + np.abs(found)[:, None, :]
    close = np.all(np.abs(found[:, None, :] - listed[None, :, :]) <= MATCH * scale, axis=-1)
    return found[~np.any(close, axis=1)]


def check_case(case: dict, n_random: int, seed: int) -> dict:
    """Auto's result on the case against the dense search (the record written to JSON)."""
    net = jaxfp.looped.LoopedNet(
        jnp.asarray(case["W"]),
        jnp.asarray(case["b"]),
        package_activation(case["activation"]),
        form=case["form"],
    )
    began = time.perf_counter()
    result = jaxfp.enumerate_fixed_points(net)
    seconds = time.perf_counter() - began
    listed = np.asarray(result.points, np.float64).reshape(-1, case["d"])
    found = dense_search(case, n_random, seed)
    missing = missing_from(listed, found)
    listed_residual = residuals(case, listed)
    not_fixed = listed[listed_residual > RESIDUAL]
    record = {key: case[key] for key in ("activation", "family", "form", "d", "gain", "bias_scale")}
    record.update(
        W=np.asarray(case["W"]).tolist(),
        b=np.asarray(case["b"]).tolist(),
        method=result.method,
        complete=bool(result.complete),
        proof=None if result.proof is None else result.proof.method,
        n_listed=int(len(listed)),
        n_dense=int(len(found)),
        n_missing=int(len(missing)),
        missing=missing.tolist(),
        n_not_fixed=int(len(not_fixed)),
        not_fixed=not_fixed.tolist(),
        seconds=seconds,
    )
    record["false_complete"] = bool(result.complete and (len(missing) or len(not_fixed)))
    return record


def _summary(records: list[dict]) -> dict:
    def block(rows):
        seconds = [r["seconds"] for r in rows]
        return {
            "nets": len(rows),
            "complete": int(sum(r["complete"] for r in rows)),
            "false_complete": int(sum(r["false_complete"] for r in rows)),
            "incomplete_and_missing": int(
                sum((not r["complete"]) and r["n_missing"] > 0 for r in rows)
            ),
            "median_seconds": float(np.median(seconds)) if seconds else None,
            "max_seconds": float(np.max(seconds)) if seconds else None,
        }

    # A net whose σ, form and d came before reuses most compiled programs (its call is "warm";
    # a new number of fixed points can still compile a few small ones).
    seen, warm = set(), []
    for record in records:
        key = (record["activation"], record["form"], record["d"])
        if key in seen:
            warm.append(record)
        seen.add(key)
    out = {"all": block(records), "warm": block(warm)}
    families = (*FAMILIES, "near-fold")
    groups = (("activation", ACTIVATIONS), ("family", families), ("d", DIMS), ("form", FORMS))
    for key, values in groups:
        for value in values:
            rows = [r for r in records if r[key] == value]
            if rows:
                out[f"{key}={value}"] = block(rows)
    return out


def main(
    nets: int, seed: int, minutes: float, n_random: int, out: pathlib.Path, near_folds: bool
) -> int:
    rng = np.random.default_rng(seed)
    results = {
        "seed": seed,
        "n_random_starts": n_random,
        "near_folds": near_folds,
        "load_average_before": list(os.getloadavg()),
        "records": [],
    }
    deadline = time.perf_counter() + 60.0 * minutes
    for index in range(nets):
        if time.perf_counter() > deadline:
            break
        case = near_fold_case(rng, 400, seed) if near_folds else random_case(rng)
        record = check_case(case, n_random, seed + index)
        record["index"] = index
        results["records"].append(record)
        flag = "FALSE COMPLETE" if record["false_complete"] else ""
        print(
            f"{index:4d} {record['activation']:8s} {record['family'][:5]} {record['form']:12s} "
            f"d={record['d']} "
            f"g={record['gain']:.2f} listed={record['n_listed']} dense={record['n_dense']} "
            f"missing={record['n_missing']} complete={record['complete']} "
            f"{record['seconds']:.2f}s {record['method']} {flag}",
            flush=True,
        )
        if index % 10 == 0 or flag:
            results["summary"] = _summary(results["records"])
            out.write_text(json.dumps(results, indent=1))
    results["load_average_after"] = list(os.getloadavg())
    results["summary"] = _summary(results["records"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results["summary"]["all"]))
    return 1 if results["summary"]["all"]["false_complete"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nets", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=40.0)
    parser.add_argument("--random-starts", type=int, default=3000)
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(__file__).parent / "results" / "completeness_fuzz.json",
    )
    parser.add_argument(
        "--near-folds", action="store_true", help="nets a bias step away from a fold"
    )
    args = parser.parse_args()
    sys.exit(
        main(args.nets, args.seed, args.minutes, args.random_starts, args.out, args.near_folds)
    )
