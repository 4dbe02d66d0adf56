"""`jaxfp kernel`: kernel-map analysis of P2 (Theorem 1), finite-width simulation, edge of chaos."""

import sys

from ._checks import (
    FIGURE_SUFFIXES,
    check_memory,
    fill_defaults,
    finite_float,
    int_at_least,
    nonnegative_float,
    option_name,
    output_file,
    positive_int,
    reject_options,
    seed_int,
)
from ._command import add_command
from ._errors import UserInputError
from .kernel_plots import plot_analysis, plot_edge, plot_simulation
from .output import dump_json, format_summary, format_table, progress

_HELP = "analyse the kernel map of an activation and architecture (P2, Theorem 1)"
_DESCRIPTION = """\
Kernel-map analysis of deep networks at initialisation (Joudaki & Hofmann, AISTATS 2025).

Default mode: the normalised kernel map κ(ρ) = E φ(X)φ(Y) / C² of the activation (with the
residual strength and normalisation you choose), Theorem 1's case, its globally attracting fixed
point ρ*, rate α, every fixed point on [-1, 1] and the Hermite coefficients.

--simulate: simulate random MLPs and print the empirical similarity of input pairs beside the
mean-field prediction ρ_ℓ = κ^ℓ(ρ_0).

--edge-of-chaos: the weight variance σ_w² with χ₁ = 1 at bias variance --sigma-b2.

Activations: relu, abs, tanh, sigmoid, exp, gelu, gelu_tanh, selu, erf, sign, sin, softplus,
silu (or swish), mish, leaky_relu[:a], elu[:alpha >= 0], celu[:alpha > 0], hermite:k (k <= 199).
"""
_EPILOG = """\
JSON keys (analysis): activation, residual, norm, C, kappa0, dkappa0, dkappa1, case, rho_star,
dkappa_rho_star, alpha, fixed_points (list of {rho, dkappa, stability, attracting}),
hermite_coefficients, hermite_tail_mass, variance_map_slope, zero_tolerance, slope_tolerance.
See docs/kernels.md for their meaning and for the errata of P2's Table 1.

examples:
  jaxfp kernel --activation relu
  jaxfp kernel --activation gelu --residual 0.5 --norm ln-post --json
  jaxfp kernel --simulate --activation gelu --norm rms-post --width 1024 --depth 30 --seeds 4
  jaxfp kernel --edge-of-chaos --activation tanh --sigma-b2 0.05
"""
_NUM_HERMITE = 8
# The options of each mode (`--simulate`, `--edge-of-chaos`) and their defaults. On the command
# line they default to None, so that one given outside its mode is refused (`_check_mode_options`).
_MODE_DEFAULTS = {
    "simulate": dict(width=512, depth=20, seeds=4, rho0=[0.0, 0.5, 0.9], weights="normal", seed=0),
    "edge_of_chaos": dict(sigma_b2=0.0),
}


def _mode_help(dest: str, text: str) -> str:
    """The help of a mode's option: `text`, then its default and its mode."""
    (mode,) = (mode for mode, defaults in _MODE_DEFAULTS.items() if dest in defaults)
    default = _MODE_DEFAULTS[mode][dest]
    shown = " ".join(map(str, default)) if isinstance(default, list) else default
    return f"{text} (default: {shown}; {option_name(mode)})"


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "kernel", run, summary=_HELP, description=_DESCRIPTION, epilog=_EPILOG
    )
    parser.add_argument("--activation", default="relu", metavar="NAME", help="activation name")
    parser.add_argument(
        "--residual",
        type=finite_float,
        default=0.0,
        metavar="R",
        help="residual strength r in [0, 1); 0: no skip connection",
    )
    parser.add_argument(
        "--norm",
        default="none",
        choices=("none", "ln-pre", "ln-post", "rms-pre", "rms-post"),
        help="LayerNorm (ln) or RMSNorm (rms) before (pre) or after (post) the activation",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--simulate",
        action="store_true",
        help="simulate finite-width networks and compare with the mean field",
    )
    mode.add_argument(
        "--edge-of-chaos",
        action="store_true",
        help="print σ_w² on the edge of chaos (χ₁ = 1) at --sigma-b2",
    )
    parser.add_argument(
        "--width", type=int_at_least(2), help=_mode_help("width", "simulated width d")
    )
    parser.add_argument("--depth", type=positive_int, help=_mode_help("depth", "simulated depth L"))
    parser.add_argument(
        "--seeds", type=positive_int, help=_mode_help("seeds", "independent networks")
    )
    parser.add_argument(
        "--rho0",
        type=finite_float,
        nargs="+",
        metavar="RHO",
        help=_mode_help("rho0", "input cosines in [-1, 1]"),
    )
    parser.add_argument(
        "--weights",
        choices=("normal", "uniform"),
        help=_mode_help("weights", "weight distribution, unit variance"),
    )
    parser.add_argument("--seed", type=seed_int, help=_mode_help("seed", "random seed"))
    parser.add_argument(
        "--sigma-b2",
        type=nonnegative_float,
        metavar="V",
        help=_mode_help("sigma_b2", "bias variance σ_b²"),
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        type=output_file(FIGURE_SUFFIXES),
        help="save a figure: cobweb plot and ρ_ℓ (analysis), simulation vs theory "
        "(--simulate), or the phase diagram (--edge-of-chaos)",
    )


def _architecture(namespace):
    import jaxfp.kernels as jk

    try:
        activation = jk.get_activation(namespace.activation)
    except ValueError as error:
        raise UserInputError(f"--activation: {error}") from error
    if not 0.0 <= namespace.residual < 1.0:
        raise UserInputError(f"--residual must be in [0, 1), got {namespace.residual}.")
    return jk.Architecture(activation, float(namespace.residual), namespace.norm)


def _check_mode_options(namespace) -> None:
    """Refuse options of another mode, then fill the defaults of this mode's options."""
    for mode, defaults in _MODE_DEFAULTS.items():
        if not getattr(namespace, mode):
            reject_options(namespace, defaults, f"it applies to {option_name(mode)}")
        fill_defaults(namespace, **defaults)


def _simulation_bytes(namespace, residual: bool) -> int:
    """A lower estimate of a simulation's memory (float32): weights, states and the records."""
    pairs, width, depth, seeds = (
        len(namespace.rho0),
        namespace.width,
        namespace.depth,
        namespace.seeds,
    )
    weights = seeds * width * width * (2 if residual else 1)
    states = seeds * 2 * pairs * width
    # Three records per layer, held about four times over (scan output, concatenation,
    # transpose, host copy), and the float64 mean field with the per-layer keys.
    records = 4 * 3 * seeds * pairs * (depth + 1) + 2 * pairs * (depth + 1) + 2 * seeds * depth
    return 4 * (weights + states + records)


def run(namespace) -> int:
    import jax  # here, not at the top: `jaxfp --help` and parse errors need no JAX

    _check_mode_options(namespace)
    if namespace.simulate and not all(-1.0 <= rho <= 1.0 for rho in namespace.rho0):
        raise UserInputError(f"--rho0 values must lie in [-1, 1], got {namespace.rho0}.")
    jax.config.update("jax_enable_x64", True)
    architecture = _architecture(namespace)
    if namespace.simulate:
        check_memory(
            _simulation_bytes(namespace, architecture.residual != 0.0),
            f"kernel --simulate --width {namespace.width} --depth {namespace.depth} "
            f"--seeds {namespace.seeds}",
            "use a smaller --width, --depth or --seeds",
        )
        return _run_simulation(namespace, architecture)
    if namespace.edge_of_chaos:
        return _run_edge_of_chaos(namespace, architecture)
    return _run_analysis(namespace, architecture)


# The analysis summary's rows: report key -> table label.
_SUMMARY_LABELS = {
    "activation": "activation",
    "residual": "residual r",
    "norm": "normalization",
    "C": "C = sqrt(E φ²)",
    "kappa0": "κ(0)",
    "dkappa0": "κ'(0)",
    "dkappa1": "κ'(1) = E φ'² / C²",
    "case": "Theorem 1 case",
    "rho_star": "ρ*",
    "dkappa_rho_star": "κ'(ρ*) (local rate)",
    "alpha": "α (global rate)",
    "variance_map_slope": "V'(1) (variance map)",
}


def _run_analysis(namespace, architecture) -> int:
    import jaxfp.kernels as jk

    analysis = jk.analyze_kernel(architecture)  # ValueError: one line and exit 2 (main)
    activation = architecture.activation
    coefficients = [float(c) for c in jk.hermite_coefficients(activation, _NUM_HERMITE)]
    report = {
        "activation": activation.name,
        "residual": float(architecture.residual),
        "norm": architecture.normalization,
        "C": analysis.normalization_constant,
        "kappa0": analysis.kappa0,
        "dkappa0": analysis.dkappa0,
        "dkappa1": analysis.dkappa1,
        "case": analysis.case,
        "rho_star": analysis.rho_star,
        "dkappa_rho_star": analysis.dkappa_rho_star,
        "alpha": analysis.alpha,
        "fixed_points": [
            {
                "rho": p.rho,
                "dkappa": p.derivative,
                "stability": p.stability,
                "attracting": p.attracting,
            }
            for p in analysis.fixed_points
        ],
        "hermite_coefficients": coefficients,
        "hermite_tail_mass": 1.0 - sum(c * c for c in coefficients),
        "variance_map_slope": float(jk.variance_map_derivative(activation, 1.0)),
        "zero_tolerance": analysis.zero_tolerance,
        "slope_tolerance": analysis.slope_tolerance,
    }
    if namespace.plot:
        plot_analysis(namespace.plot, architecture, analysis)
    if namespace.json:
        dump_json(report)
        return 0
    pairs = [(label, report[key]) for key, label in _SUMMARY_LABELS.items()]
    print(format_summary(pairs))
    print()
    rows = [
        [p["rho"], p["dkappa"], p["stability"], p["attracting"]] for p in report["fixed_points"]
    ]
    print(format_table(rows, ["fixed point ρ", "κ'(ρ)", "stability", "attracting"]))
    print()
    rows = [[k, c] for k, c in enumerate(coefficients)]
    print(format_table(rows, ["k", "c_k"]))
    print(f"tail mass 1 - Σ c_k² (k < {_NUM_HERMITE}): {report['hermite_tail_mass']:.3e}")
    return 0


def _run_simulation(namespace, architecture) -> int:
    import jax
    import numpy as np

    import jaxfp.kernels as jk

    with progress(namespace.depth, "layers", enabled=not namespace.json) as bar:
        result = jk.simulate_similarity(
            architecture,
            namespace.rho0,
            width=namespace.width,
            depth=namespace.depth,
            num_seeds=namespace.seeds,
            key=jax.random.key(namespace.seed),
            weights=namespace.weights,
            progress=lambda done: bar.update(done - bar.n),
        )
    cosine, stderr = np.asarray(result.cosine_mean), np.asarray(result.cosine_stderr)
    raw, mean_field = np.asarray(result.raw_mean), np.asarray(result.mean_field)
    norms = np.asarray(result.squared_norm.mean(axis=0))
    if namespace.plot:
        plot_simulation(namespace.plot, architecture, result)
    if namespace.json:
        dump_json(
            {
                "activation": architecture.activation.name,
                "residual": float(architecture.residual),
                "norm": architecture.normalization,
                "width": namespace.width,
                "depth": namespace.depth,
                "seeds": namespace.seeds,
                "weights": namespace.weights,
                "rho0": list(namespace.rho0),
                "mean_field": mean_field,
                "cosine_mean": cosine,
                "cosine_stderr": stderr,
                "raw_mean": raw,
                "squared_norm_mean": norms,
                "max_deviation": result.max_deviation,
                "first_undefined_layer": result.first_undefined_layer,
            }
        )
        return _undefined_layers(result)
    step = max(1, namespace.depth // 20)
    layers = sorted(set(range(0, namespace.depth + 1, step)) | {namespace.depth})
    for index, rho0 in enumerate(namespace.rho0):
        print(f"ρ_0 = {rho0}")
        rows = [
            [
                layer,
                mean_field[index, layer],
                cosine[index, layer],
                stderr[index, layer],
                raw[index, layer],
                norms[index, layer],
                abs(cosine[index, layer] - mean_field[index, layer]),
            ]
            for layer in layers
        ]
        headers = ["layer", "mean field", "cosine", "± stderr", "raw", "‖h‖²/d", "|deviation|"]
        print(format_table(rows, headers))
        print()
    print(
        f"max |mean cosine - mean field| = {result.max_deviation:.4f} "
        f"(width {namespace.width}, {namespace.seeds} seeds; expect O(1/sqrt(width)))"
    )
    return _undefined_layers(result)


def _undefined_layers(result) -> int:
    """1, with one line on stderr, when the simulated cosine became undefined; else 0."""
    layer = result.first_undefined_layer
    if layer is None:
        return 0
    print(
        f"jaxfp: warning: the simulated cosine is undefined from layer {layer} on (a state "
        "vector under- or overflowed in float32); use --norm rms-post or ln-post, or a smaller "
        "--depth.",
        file=sys.stderr,
    )
    return 1


def _run_edge_of_chaos(namespace, architecture) -> int:
    import jaxfp.kernels as jk

    if architecture.residual != 0.0 or architecture.normalization != "none":
        raise UserInputError(
            "--edge-of-chaos analyses the plain network h -> φ(W h + b): "
            "drop --residual and --norm."
        )
    edge = jk.edge_of_chaos(architecture.activation, namespace.sigma_b2)
    if namespace.plot:
        plot_edge(namespace.plot, architecture.activation, namespace.sigma_b2, not namespace.json)
    report = {
        "activation": architecture.activation.name,
        "sigma_b2": edge.sigma_b2,
        "sigma_w2": edge.sigma_w2,
        "chi1": edge.chi1,
        "kind": edge.kind,
    }
    if namespace.json:
        dump_json(report)
        return 0
    print(format_summary(list(report.items())))
    return 0
