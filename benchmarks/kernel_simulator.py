"""Kernel maps (P2): finite-width simulator vs mean field, and the cost of the kernel quantities.

1. Agreement: random MLPs of width 4096 and depth 50 with RMSNorm after the activation, cosine
   similarity averaged over seeds, against the mean-field ρ_ℓ = κ^ℓ(ρ_0) (docs/theory.md says
   within ~0.03). Also the plain network (no normalisation) for GELU and exp, whose variance map
   has V'(1) > 1, to show where theory and a real network part.
2. Timing (compile apart from run): Hermite coefficients, a kernel map on a grid, a kernel
   sequence, a full Theorem 1 analysis.
3. Peer: scipy.integrate.quad / dblquad against jaxfp's Gauss–Hermite / split Gauss–Legendre
   quadrature on the reference table (C, κ(0), κ'(0), κ'(1)): values and time.

Run: python benchmarks/kernel_simulator.py [--quick]; writes results/kernel_simulator.json.
"""

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _timing import timed  # noqa: E402

import jaxfp.kernels as jk  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "kernel_simulator.json"
REFERENCE = ("tanh", "relu", "sigmoid", "exp", "gelu")


def agreement(name: str, normalization: str, width: int, depth: int, seeds: int) -> dict:
    architecture = jk.Architecture(jk.get_activation(name), normalization=normalization)
    start = time.perf_counter()
    result = jk.simulate_similarity(
        architecture,
        [0.0, 0.5, 0.9],
        width=width,
        depth=depth,
        num_seeds=seeds,
        key=jax.random.key(0),
    )
    jax.block_until_ready(result.cosine)
    seconds = time.perf_counter() - start
    deviation = np.abs(np.asarray(result.cosine_mean - result.mean_field))
    norms = np.asarray(result.squared_norm.mean(axis=0)).mean(axis=0)
    # Layers whose squared norm is finite and within a factor 2 of the mean field's 1.
    healthy = np.isfinite(norms) & (norms < 2.0) & (norms > 0.5)
    last_healthy = int(np.argmin(healthy)) - 1 if not healthy.all() else depth
    finite = np.isfinite(deviation).all(axis=0)
    entry = {
        "activation": name,
        "normalization": normalization,
        "width": width,
        "depth": depth,
        "seeds": seeds,
        "max_deviation": float(deviation[:, finite].max()),
        "max_deviation_first_10_layers": float(deviation[:, : min(11, depth + 1)].max()),
        "mean_deviation": float(deviation[:, finite].mean()),
        "max_stderr": float(np.asarray(result.cosine_stderr)[:, finite].max()),
        "squared_norm_at_layers_0_5_10_20_50": [
            float(norms[i]) for i in (0, 5, 10, 20, 50) if i <= depth
        ],
        "last_layer_with_norm_within_2x": last_healthy,
        "variance_map_slope": float(jk.variance_map_derivative(architecture.activation, 1.0)),
        "wall_s": seconds,
    }
    print(json.dumps(entry))
    return entry


# The reference activations and their derivatives in plain numpy, for the scipy peer.
_NUMPY = {
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, ()),
    "relu": (lambda x: max(x, 0.0), lambda x: float(x > 0), (0.0,)),
    "sigmoid": (
        lambda x: 1.0 / (1.0 + math.exp(-x)),
        lambda x: math.exp(-x) / (1.0 + math.exp(-x)) ** 2,
        (),
    ),
    "exp": (math.exp, math.exp, ()),
    "gelu": (
        lambda x: 0.5 * x * (1.0 + math.erf(x / math.sqrt(2))),
        lambda x: (
            0.5 * (1.0 + math.erf(x / math.sqrt(2)))
            + x * math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        ),
        (),
    ),
}
_LIMIT = 40.0  # the normal density underflows to 0 beyond this, before exp(2x) overflows


def scipy_reference(name: str) -> dict | None:
    try:
        from scipy import integrate
    except ImportError:
        return None
    phi, dphi, kinks = _NUMPY[name]
    density = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    edges = [-_LIMIT, *kinks, _LIMIT]

    def expectation(function):
        return sum(
            integrate.quad(
                lambda x: function(x) * density(x), a, b, epsabs=1e-14, epsrel=1e-13, limit=200
            )[0]
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        )

    start = time.perf_counter()
    second = expectation(lambda x: phi(x) ** 2)
    mean = expectation(phi)
    mean_slope = expectation(dphi)
    slope_square = expectation(lambda x: dphi(x) ** 2)
    # κ at ρ = 0.5 by dblquad (2-D), the costly part.
    rho, s = 0.5, math.sqrt(0.75)
    kappa_half = (
        integrate.dblquad(
            lambda z, x: phi(x) * phi(rho * x + s * z) * density(x) * density(z),
            -12,
            12,
            -12,
            12,
            epsabs=1e-11,
            epsrel=1e-11,
        )[0]
        / second
    )
    seconds = time.perf_counter() - start
    return {
        "C": math.sqrt(second),
        "kappa0": mean**2 / second,
        "dkappa0": mean_slope**2 / second,
        "dkappa1": slope_square / second,
        "kappa_half": kappa_half,
        "seconds": seconds,
    }


def _kernel_quantities(activation: jk.KernelActivation) -> dict:
    return {
        "C": float(jk.normalization_constant(activation)),
        "kappa0": float(jk.kernel_map(activation, 0.0)),
        "dkappa0": float(jk.kernel_map_derivative(activation, 0.0)),
        "dkappa1": float(jk.kernel_map_derivative(activation, 1.0)),
        "kappa_half": float(jk.kernel_map(activation, 0.5)),
    }


def peer_comparison() -> list[dict]:
    rows = []
    for name in REFERENCE:
        activation = jk.get_activation(name)
        start = time.perf_counter()
        ours = _kernel_quantities(activation)
        first = time.perf_counter() - start
        # The same calls as the first (a jnp.array ρ instead of a float would compile anew).
        start = time.perf_counter()
        for _ in range(3):
            _kernel_quantities(activation)
        warm = (time.perf_counter() - start) / 3
        peer = scipy_reference(name)
        row = {"activation": name, "jaxfp": ours, "jaxfp_first_s": first, "jaxfp_warm_s": warm}
        if peer is not None:
            row["scipy"] = peer
            row["max_abs_difference"] = max(abs(ours[k] - peer[k]) for k in ours)
        print(json.dumps(row))
        rows.append(row)
    return rows


def timings() -> dict:
    figures = {}
    for name in ("relu", "tanh", "gelu_tanh"):
        activation = jk.get_activation(name)
        figures[name] = {
            "hermite_coefficients_32": timed(lambda a=activation: jk.hermite_coefficients(a, 32)),
            "kernel_map_101_points": timed(
                lambda a=activation: jk.kernel_map(a, jnp.linspace(-1.0, 1.0, 101))
            ),
            "kernel_sequence_depth_200": timed(
                lambda a=activation: jk.kernel_sequence(a, jnp.array([0.0, 0.5]), 200), 3
            ),
            "analyze_kernel": timed(lambda a=activation: jk.analyze_kernel(a).alpha, 2),
        }
        print(name, json.dumps(figures[name]))
    return figures


def _finite_or_null(value):
    """NaN / infinity (an exploded plain network) become JSON null."""
    if isinstance(value, dict):
        return {key: _finite_or_null(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    arguments = parser.parse_args()
    width, depth, seeds = (256, 10, 2) if arguments.quick else (4096, 50, 8)
    report = {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
            "simulation_dtype": "float32",
        },
        "peer_comparison": peer_comparison(),
        "timings": timings(),
        "agreement": [
            agreement("gelu", "rms-post", width, depth, seeds),
            agreement("relu", "rms-post", width, depth, max(seeds // 2, 2)),
            agreement("tanh", "rms-post", width, depth, max(seeds // 2, 2)),
            agreement("gelu", "none", width, depth, max(seeds // 2, 2)),
            agreement("exp", "none", width, depth, max(seeds // 2, 2)),
        ],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(_finite_or_null(report), indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
