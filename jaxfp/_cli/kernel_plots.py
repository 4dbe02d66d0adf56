"""The figures of `jaxfp kernel --plot`: the cobweb plot and ρ_ℓ (analysis), simulation against
the mean field (--simulate), and the phase diagram (--edge-of-chaos)."""

from .output import progress

_PLOT_DEPTH = 30


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_analysis(path, architecture, analysis) -> None:
    import numpy as np

    import jaxfp.kernels as jk

    plt = _figure()
    grid = np.linspace(-1.0, 1.0, 201)
    figure, (cobweb, sequence) = plt.subplots(1, 2, figsize=(10, 4))
    cobweb.plot(grid, np.asarray(jk.kernel_map(architecture, grid)), label="κ(ρ)")
    cobweb.plot(grid, grid, "k--", linewidth=0.8, label="ρ")
    starts = np.array([-0.9, 0.0, 0.9])
    trajectories = np.asarray(jk.kernel_sequence(architecture, starts, _PLOT_DEPTH))
    for trajectory in trajectories:
        xs = np.repeat(trajectory[:-1], 2)
        ys = np.column_stack([trajectory[:-1], trajectory[1:]]).reshape(-1)
        cobweb.plot(xs, ys, linewidth=0.7)
        sequence.plot(trajectory, marker=".", label=f"ρ_0 = {trajectory[0]:g}")
    cobweb.set(xlabel="ρ", ylabel="κ(ρ)", title=f"{architecture.activation.name}: cobweb")
    cobweb.legend()
    sequence.axhline(analysis.rho_star, color="k", linestyle=":", label="ρ*")
    sequence.set(
        xlabel="layer ℓ", ylabel="ρ_ℓ", title=f"case {analysis.case}, α = {analysis.alpha:.4f}"
    )
    sequence.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_simulation(path, architecture, result) -> None:
    import numpy as np

    plt = _figure()
    figure, axis = plt.subplots(figsize=(6, 4))
    layers = np.arange(result.mean_field.shape[-1])
    mean, stderr = np.asarray(result.cosine_mean), np.asarray(result.cosine_stderr)
    for index, rho0 in enumerate(np.asarray(result.rho0)):
        line = axis.plot(layers, np.asarray(result.mean_field[index]), label=f"theory ρ_0={rho0:g}")
        axis.errorbar(layers, mean[index], yerr=stderr[index], fmt=".", color=line[0].get_color())
    axis.set(
        xlabel="layer ℓ",
        ylabel="cosine similarity",
        title=f"{architecture.activation.name}, norm={architecture.normalization}",
    )
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_edge(path, activation, sigma_b2, show_progress) -> None:
    import numpy as np

    import jaxfp.kernels as jk

    plt = _figure()
    biases = np.linspace(0.0, max(2.0 * sigma_b2, 0.5), 21)
    weights = []
    with progress(len(biases), "edge of chaos", enabled=show_progress) as bar:
        for bias in biases:
            weights.append(jk.edge_of_chaos(activation, float(bias)).sigma_w2)
            bar.update(1)
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.plot(biases, weights, "k-")
    axis.fill_between(biases, 0, weights, alpha=0.2, label="ordered (χ₁ < 1)")
    axis.set(xlabel="σ_b²", ylabel="σ_w²", title=f"edge of chaos, {activation.name}")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
