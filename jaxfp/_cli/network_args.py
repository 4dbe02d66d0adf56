"""The looped-network inputs shared by the subcommands that study one network.

Either a built-in network, `--net NAME --dim D [--gain w]`, or a network from files,
`--weights W.npy --bias b.npy --activation NAME [--form FORM]` (or `--weights net.npz` holding
arrays named W and b). Bad input becomes one clear line (`UserInputError`): missing files,
mismatched shapes, complex, NaN or infinite weights, an unknown activation, and an option the
chosen network would ignore (`--gain` of a construction without one, a `--form` it is not built in).
"""

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .. import looped
from ._checks import check_memory, finite_float
from ._errors import UserInputError

_FORMS = ("sigma-affine", "affine-sigma")
_DEFAULT_FORM = "sigma-affine"
# The built-in networks whose builder takes the gain w (the others are fixed constructions).
_TAKES_GAIN = ("tanh-identity", "hardtanh-identity", "random")


def _hardtanh_identity(dim, gain, namespace):
    return looped.LoopedNet(
        gain * jnp.eye(dim), jnp.zeros(dim), looped.hardtanh(), _form(namespace)
    )


def _random(dim, gain, namespace):
    return looped.random_network(
        dim,
        seed=namespace.seed,
        activation=_activation(namespace.activation or "relu"),
        scale=1.5 if gain is None else gain,
        bias_scale=namespace.bias_scale,
        form=_form(namespace),
    )


# name -> (builder(dim, gain, namespace), default gain, help)
NETWORKS = {
    "poly": (lambda dim, gain, ns: looped.poly_network(dim), None, "P1 construction (P)"),
    "exp": (lambda dim, gain, ns: looped.exp_network(dim), None, "P1 construction (E)"),
    "tanh-identity": (
        lambda dim, gain, ns: looped.tanh_identity_network(dim, gain),
        2.0,
        "tanh(w x), W = w I",
    ),
    "hardtanh-identity": (_hardtanh_identity, 2.0, "hardtanh(w x), W = w I: 3^d fixed points"),
    "random": (_random, None, "W ~ N(0, w^2/d), b ~ N(0, bias_scale^2), --activation (relu)"),
}


def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the network options (`--net/--dim/--gain/--seed` or `--weights/--bias`, with
    `--activation` and `--form`) to a subcommand's parser."""
    group = parser.add_argument_group(
        "network",
        "a built-in network (--net NAME --dim D) or one from files (--weights W.npy --bias b.npy "
        "--activation NAME)",
    )
    group.add_argument(
        "--net",
        choices=sorted(NETWORKS),
        help="built-in network: "
        + "; ".join(f"{name}: {entry[2]}" for name, entry in NETWORKS.items()),
    )
    group.add_argument("--dim", type=int, help="dimension d of a built-in network")
    group.add_argument(
        "--gain",
        type=finite_float,
        help="gain w of --net tanh-identity, hardtanh-identity (W = w I) or the scale of random",
    )
    group.add_argument("--seed", type=int, default=0, help="seed of --net random")
    group.add_argument(
        "--bias-scale", type=finite_float, default=0.1, help="bias scale of --net random"
    )
    group.add_argument(
        "--weights", help="W, a (d, d) array in a .npy file, or a .npz file with arrays W and b"
    )
    group.add_argument("--bias", help="b, a (d,) array in a .npy file")
    group.add_argument(
        "--activation",
        help="activation name: relu, leaky_relu:A, hardtanh, abs, "
        "pwl:breakpoints=...;slopes=...;offset=..., tanh, poly:c0,c1,..., ...",
    )
    group.add_argument(
        "--form",
        choices=_FORMS,
        help="sigma-affine (default): F(x) = sigma(Wx + b); affine-sigma: F(x) = W sigma(x) + b "
        "(--weights, --net random and hardtanh-identity)",
    )


def _form(namespace) -> str:
    return _DEFAULT_FORM if namespace.form is None else namespace.form


def _activation(name: str):
    try:
        return looped.activation_from_name(name)
    except ValueError as error:
        raise UserInputError(f"--activation: {error}") from error


def _load(option: str, path: str | None) -> np.ndarray:
    if path is None:
        raise UserInputError(f"{option} is required with --weights (a .npy file).")
    if not Path(path).is_file():
        raise UserInputError(f"{option}: file not found: {path}")
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise UserInputError(f"{option}: cannot read {path} as a .npy array ({error}).") from error
    if isinstance(array, np.lib.npyio.NpzFile):
        raise UserInputError(
            f"{option}: {path} is an .npz archive; give one array per .npy file, or the whole "
            "network as --weights net.npz holding arrays named W and b (and no --bias)."
        )
    return _checked_array(option, path, array)


def _checked_array(option: str, path: str, array: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(array):
        raise UserInputError(f"{option}: {path} holds complex numbers; W and b must be real.")
    if not np.issubdtype(array.dtype, np.number):
        raise UserInputError(f"{option}: {path} holds {array.dtype} data, not numbers.")
    if not np.all(np.isfinite(array)):
        raise UserInputError(f"{option}: {path} contains NaN or infinite entries.")
    return array.astype(np.float64)


def _load_archive(path: str, given_bias: str | None) -> tuple[np.ndarray, np.ndarray]:
    """W and b from an .npz archive holding arrays named exactly W and b."""
    if not Path(path).is_file():
        raise UserInputError(f"--weights: file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as error:
        raise UserInputError(
            f"--weights: cannot read {path} as an .npz archive ({error})."
        ) from error
    if given_bias is not None:
        raise UserInputError(
            f"--bias: --weights {path} is an .npz archive, which must hold both W and b (it "
            f"holds {sorted(arrays)}); drop --bias, or give W as a .npy file."
        )
    if sorted(arrays) != ["W", "b"]:
        raise UserInputError(
            f"--weights: the archive {path} must hold exactly two arrays named W and b, "
            f"it holds {sorted(arrays)}."
        )
    return (
        _checked_array("--weights", f"{path}[W]", arrays["W"]),
        _checked_array("--weights", f"{path}[b]", arrays["b"]),
    )


def _from_files(namespace) -> looped.LoopedNet:
    if namespace.activation is None:
        raise UserInputError("--activation is required with --weights (e.g. relu, hardtanh).")
    if namespace.weights.endswith(".npz"):
        weights, bias = _load_archive(namespace.weights, namespace.bias)
    else:
        weights, bias = _load("--weights", namespace.weights), _load("--bias", namespace.bias)
    activation, form = _activation(namespace.activation), _form(namespace)
    try:  # the network's one shape check is LoopedNet's (W square, b matching)
        return looped.LoopedNet(weights, bias, activation, form)
    except ValueError as error:
        raise UserInputError(f"--weights/--bias: {error}") from error


def _built_in(namespace) -> looped.LoopedNet:
    if namespace.dim is None or namespace.dim < 1:
        raise UserInputError(
            f"--net {namespace.net} needs --dim D with D >= 1, got {namespace.dim}."
        )
    # W alone is a (d, d) float64 matrix.
    check_memory(8.0 * namespace.dim**2, f"--dim {namespace.dim}", "use a smaller --dim")
    builder, default_gain, _ = NETWORKS[namespace.net]
    if namespace.gain is not None and namespace.net not in _TAKES_GAIN:
        raise UserInputError(
            f"--gain applies to --net {', '.join(_TAKES_GAIN)}; --net {namespace.net} is a fixed "
            "construction without a gain."
        )
    gain = default_gain if namespace.gain is None else namespace.gain
    if namespace.activation is not None and namespace.net != "random":
        raise UserInputError(
            f"--activation applies to --net random and --weights, not to --net {namespace.net}."
        )
    try:
        net = builder(namespace.dim, gain, namespace)
    except ValueError as error:
        raise UserInputError(f"--net {namespace.net}: {error}") from error
    if namespace.form is not None and net.form != namespace.form:
        raise UserInputError(
            f"--form {namespace.form}: --net {namespace.net} is built in the {net.form} form "
            "only; --form applies to --net random, hardtanh-identity and --weights."
        )
    return net


def network_from_arguments(namespace: argparse.Namespace) -> looped.LoopedNet:
    """The `jaxfp.looped.LoopedNet` the options describe, in float64.

    Raises:
        UserInputError: (one line) for missing or conflicting options, an option the network
            would ignore, missing or unreadable files, mismatched shapes, complex, NaN or
            infinite weights, or an unknown activation.
    """
    if (namespace.net is None) == (namespace.weights is None):
        raise UserInputError(
            "give either --net NAME --dim D or --weights W.npy --bias b.npy --activation NAME."
        )
    with jax.enable_x64(True):
        return _built_in(namespace) if namespace.net is not None else _from_files(namespace)
