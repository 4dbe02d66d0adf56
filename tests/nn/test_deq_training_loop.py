"""DEQ tools for the training loop: per-sample backward statistics through a probe, and several
trajectory states for fixed-point correction losses."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

SOLVER = jaxfp.Anderson(rtol=1e-8, atol=1e-8)
GRAD_TOL = 1e-5  # the backward solve: rtol 1e-5, atol 1e-6 (default), 1e-9 here


class Cell(eqx.Module):
    linear: eqx.nn.Linear

    def __call__(self, z, x):
        return jnp.tanh(0.6 * self.linear(z) + x)


def _deq(**kwargs):
    linear = eqx.nn.Linear(4, 4, key=jax.random.key(0))
    linear = eqx.tree_at(
        lambda m: m.weight, linear, linear.weight / jnp.linalg.norm(linear.weight, 2)
    )
    adjoint = jaxfp.ImplicitAdjoint(jaxfp.AndersonLinearSolver(rtol=1e-9, atol=1e-9))
    return jaxfp.nn.DEQ(Cell(linear), SOLVER, kwargs.pop("adjoint", adjoint), **kwargs)


XS = jnp.stack([jnp.linspace(-1.0, 1.0, 4), jnp.zeros(4), jnp.linspace(2.0, -2.0, 4)])


def _probed_gradients(deq, xs):
    def loss(deq, probe):
        z = jax.vmap(lambda x, p: deq(x, backward_probe=p))(xs, probe)
        return jnp.sum(z**2)

    probe = jaxfp.nn.DEQ.backward_probe((xs.shape[0],))
    grads, probe_grad = eqx.filter_grad(loss)(deq, probe), jax.grad(loss, 1)(deq, probe)
    return grads, jaxfp.nn.DEQ.backward_stats(probe_grad)


def test_backward_probe_reports_per_sample_steps_and_keeps_the_implicit_gradient():
    deq = _deq()
    grads, stats = _probed_gradients(deq, XS)
    reference = eqx.filter_grad(lambda d: jnp.sum(jax.vmap(d)(XS) ** 2))(deq)
    np.testing.assert_allclose(
        grads.cell.linear.weight, reference.cell.linear.weight, atol=GRAD_TOL
    )
    # per sample: the steps of the same backward solve run on its own
    z = jax.vmap(deq)(XS)
    own = jax.vmap(deq.backward_solve)(XS, z, 2 * z)
    np.testing.assert_array_equal(stats.num_steps, own.num_steps)
    assert stats.num_steps.shape == (3,) and bool(jnp.all(stats.converged))
    assert float(stats.unconverged_fraction) == 0.0
    assert bool(jnp.all(stats.residual < 1e-6))


def test_backward_probe_flags_an_inexact_backward_solve():
    tight = jaxfp.ImplicitAdjoint(jaxfp.AndersonLinearSolver(rtol=1e-12, atol=1e-12, max_steps=2))
    grads, stats = _probed_gradients(_deq(adjoint=tight), XS[:1])
    assert not bool(stats.converged[0]) and int(stats.num_steps[0]) == 2
    assert float(stats.residual[0]) > 1e-12
    assert bool(jnp.all(jnp.isfinite(grads.cell.linear.weight)))  # best effort: the best iterate
    grads, _ = _probed_gradients(_deq(adjoint=tight, best_effort=False, throw=False), XS[:1])
    assert bool(jnp.all(jnp.isnan(grads.cell.linear.weight)))  # strict: NaN, never silent


def test_backward_probe_needs_an_implicit_adjoint_and_a_probe_gradient():
    deq = _deq(adjoint=jaxfp.OneStepAdjoint())
    with pytest.raises(ValueError, match="ImplicitAdjoint"):
        deq(XS[0], backward_probe=jaxfp.nn.DEQ.backward_probe())
    with pytest.raises(ValueError, match="size 3"):
        jaxfp.nn.DEQ.backward_stats(jnp.zeros((2, 4)))
    # A probe of the wrong shape was JAX's raw "Custom VJP bwd rule must produce ...".
    with pytest.raises(ValueError, match="`backward_probe` must be one example's probe"):
        jax.grad(lambda p: jnp.sum(_deq()(XS[0], backward_probe=p)))(jnp.zeros(5))


def test_trajectory_states_approach_the_fixed_point_with_one_step_gradients():
    deq = _deq(max_steps=12)
    x = XS[0]
    states, stats = deq.trajectory(x, num_states=3)
    z_star = _deq()(x)
    errors = [float(jnp.linalg.norm(state - z_star)) for state in states]
    assert len(states) == 3 and errors[0] > errors[2] and errors[2] < 1e-6
    assert int(stats.num_steps) > 0 and stats.trace is None
    # the last state has the implicit gradient of z*
    last = jax.grad(lambda x: jnp.sum(deq.trajectory(x, num_states=3)[0][-1]))(x)
    np.testing.assert_allclose(last, jax.grad(lambda x: jnp.sum(_deq()(x)))(x), atol=GRAD_TOL)
    # an earlier state is cell(z_k, x) with z_k not differentiated: d/dx = diag(1 - state²)
    first = jax.grad(lambda x: jnp.sum(deq.trajectory(x, num_states=3)[0][0]))(x)
    np.testing.assert_allclose(first, 1 - states[0] ** 2, rtol=1e-6)


def test_trajectory_takes_at_most_max_steps_in_all():
    cell = lambda z, x: 0.999 * z + x  # Picard's error shrinks by 0.999 a step: far from 1e-12
    solver = jaxfp.Picard(rtol=1e-12, atol=1e-12)
    deq = jaxfp.nn.DEQ(cell, solver, max_steps=30, throw=False)
    states, stats = deq.trajectory(XS[0], num_states=4)  # segments of 7, 7, 7 and 9 steps
    assert len(states) == 4 and int(stats.num_steps) == 30
    assert stats.result == jaxfp.RESULTS.max_steps_reached


@pytest.mark.parametrize("num_states", [0, 13, 2.0])
def test_bad_num_states_raise(num_states):
    with pytest.raises(ValueError, match="num_states"):
        _deq(max_steps=12).trajectory(XS[0], num_states=num_states)
