"""Every bad input of the iterative enumeration and of `enumerate_fixed_points` is a ValueError."""

import jax.numpy as jnp
import pytest

import jaxfp
from jaxfp import enumerate_fixed_points
from jaxfp.enumeration import (
    Auto,
    BranchAndBound,
    ExactRegions,
    Homotopy,
    Starts,
    enumerate_part,
    merge_parts,
)
from jaxfp.enumeration._iterative import enumerate_iterative
from jaxfp.enumeration._solve_starts import SolveOptions

NET = jaxfp.looped.tanh_identity_network(2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(starts_per_orthant=0), "`starts_per_orthant` must be a positive integer"),
        (dict(starts_per_orthant=1.5), "`starts_per_orthant` must be a positive integer"),
        (dict(chunk_size=0), "`chunk_size` must be a positive integer"),
        (dict(centre=jnp.zeros(3)), r"`centre` must be a finite array of shape \(2,\)"),
        (dict(centre=jnp.array([0.0, jnp.nan])), "`centre` must be a finite array"),
        (dict(scale=0.0), "`scale` must be a positive finite number"),
        (dict(scale=float("inf")), "`scale` must be a positive finite number"),
        (dict(sample=0), "`sample` must be a positive integer"),
        (dict(sample=5), "exceeds the 2\\^2 = 4 orthants"),
        (dict(sample=2, faces=True), "`faces=True` cannot be combined with `sample`"),
        (dict(part=(2, 2)), "`part` must be a pair"),
        (dict(part=(0, 2), sample=2), "`part` cannot be combined with `sample`"),
        (dict(devices=99), "`devices` = 99 but"),
        (dict(devices=[]), "`devices` must not be empty"),
        (dict(devices="cpu"), "`devices` must be a device count or a list of devices"),
        (dict(seed=-1), "`seed` must be a non-negative integer"),
        (dict(seed=True), "`seed` must be a non-negative integer"),
        (dict(seed=1.5), "`seed` must be a non-negative integer"),
        (dict(faces="no"), "`faces` must be True, False or None"),
        (dict(certify="no"), "`certify` must be True or False"),
        (dict(resume="no"), "`resume` must be True or False"),
        (dict(options="fast"), "`options` must be a SolveOptions"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        enumerate_iterative(NET, **kwargs)


def test_net_must_be_a_looped_net():
    with pytest.raises(ValueError, match="`net` must be a jaxfp.looped.LoopedNet"):
        enumerate_iterative(lambda x: x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(lanes=0), "`lanes` must be a positive integer"),
        (dict(newton_tolerance=-1.0), "`newton_tolerance` must be a positive number"),
    ],
)
def test_bad_solve_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SolveOptions(**kwargs)


def test_dispatcher_errors():
    with pytest.raises(ValueError, match="`method` must be a jaxfp.enumeration method"):
        enumerate_fixed_points(NET, method="homotopy")
    with pytest.raises(ValueError, match="ExactRegions needs a piecewise-linear activation"):
        enumerate_fixed_points(NET, method=ExactRegions())
    with pytest.raises(ValueError, match="unknown run option.*'starts'"):
        enumerate_fixed_points(NET, starts=3)
    with pytest.raises(ValueError, match="`net` must be a jaxfp.looped.LoopedNet"):
        enumerate_fixed_points("tanh")


@pytest.mark.parametrize(
    "method, message",
    [
        (ExactRegions(max_regions=0), "`max_regions` must be a positive integer"),
        (ExactRegions(max_regions=1.5), "`max_regions` must be a positive integer"),
        (ExactRegions(prune="no"), "`prune` must be True or False"),
        (Homotopy(max_paths=-1), "`max_paths` must be a positive integer"),
        (Auto(max_paths=True), "`max_paths` must be a positive integer"),
        (Auto(max_dim_branch_and_bound=-1), "`max_dim_branch_and_bound` must be a non-negative"),
        (Auto(max_dim_branch_and_bound=1.5), "`max_dim_branch_and_bound` must be a non-negative"),
    ],
)
def test_bad_method_hyperparameters(method, message):
    pwl = jaxfp.looped.LoopedNet(2.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
    net = jaxfp.looped.poly_network(2) if isinstance(method, Homotopy) else pwl
    net = NET if isinstance(method, Auto) else net
    with pytest.raises(ValueError, match=message):
        enumerate_fixed_points(net, method=method)


def test_bad_run_options_are_refused_before_any_work():
    pwl = jaxfp.looped.LoopedNet(2.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
    with pytest.raises(ValueError, match="`progress` must be a callable or None, got 3"):
        enumerate_fixed_points(NET, method=Starts(), progress=3)
    with pytest.raises(ValueError, match="`devices` must be a device count"):
        enumerate_fixed_points(pwl, method=ExactRegions(), devices="cpu")
    with pytest.raises(ValueError, match="`progress` must be a callable"):
        enumerate_part(NET, (0, 2), progress="bar")
    with pytest.raises(ValueError, match="`parts` must hold EnumerationParts or the paths"):
        merge_parts([3])


def test_branch_and_bound_takes_a_list_box():
    box = [-jnp.ones(2), jnp.ones(2)]
    found = enumerate_fixed_points(NET, method=BranchAndBound(box=box))
    assert found.num_fixed_points == 9 and not found.complete


def test_dispatcher_refuses_run_options_a_method_ignores():
    net = jaxfp.looped.LoopedNet(2.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
    with pytest.raises(ValueError, match="'exact-regions' does not take .*checkpoint"):
        enumerate_fixed_points(net, method=ExactRegions(), checkpoint="somewhere")
    with pytest.raises(ValueError, match="Auto chose 'exact-regions'.*'resume'"):
        enumerate_fixed_points(net, resume=True)
    with pytest.raises(ValueError, match="'branch-and-bound' does not take.*'devices'"):
        enumerate_fixed_points(NET, method=BranchAndBound(), devices=1)
