"""`UnrolledAdjoint` is reverse-mode only: forward mode through it is a clear `TypeError` naming
the adjoint to use instead, raised before anything is traced, while every reverse-mode use
(and forward over reverse, as in `jax.hessian`) keeps working."""

import jax
import jax.numpy as jnp
import pytest

import jaxfp

_SOLVER = jaxfp.Picard(rtol=1e-3, atol=1e-3)  # stops after 10 steps: y_10 = (2 − 2^−9) a
_UNROLLED_GRADIENT = 2.0 - 2.0**-9


def _through_args(a, adjoint):
    return jaxfp.fixed_point(lambda y, a: 0.5 * y + a, _SOLVER, 0.0, a, adjoint=adjoint).value


def _through_closure(a, adjoint):
    return jaxfp.fixed_point(lambda y, _: 0.5 * y + a, _SOLVER, 0.0, adjoint=adjoint).value


def _through_y0(a, adjoint):
    return jaxfp.fixed_point(lambda y, _: 0.5 * y + 1.0, _SOLVER, a, adjoint=adjoint).value


_FORWARD_MODE = {
    "jvp": lambda f: jax.jvp(f, (1.0,), (1.0,)),
    "jacfwd": lambda f: jax.jacfwd(f)(1.0),
    "jvp inside jit": lambda f: jax.jit(lambda a: jax.jvp(f, (a,), (1.0,)))(1.0),
    "reverse over forward": lambda f: jax.jacrev(jax.jacfwd(f))(1.0),
}


@pytest.mark.parametrize("through", [_through_args, _through_closure, _through_y0])
@pytest.mark.parametrize("mode", sorted(_FORWARD_MODE))
def test_forward_mode_raises_a_clear_type_error(through, mode):
    def f(a):
        return through(a, jaxfp.UnrolledAdjoint())

    with pytest.raises(TypeError, match="reverse mode only.*jaxfp.ImplicitAdjoint"):
        _FORWARD_MODE[mode](f)


@pytest.mark.parametrize("through", [_through_args, _through_closure])
def test_forward_mode_with_implicit_adjoint_works(through):
    _, tangent = jax.jvp(lambda a: through(a, jaxfp.ImplicitAdjoint()), (1.0,), (1.0,))
    assert float(tangent) == pytest.approx(2.0, abs=2e-3)


@pytest.mark.parametrize("through", [_through_args, _through_closure])
def test_reverse_mode_through_unrolled_still_works(through):
    def f(a):
        return through(a, jaxfp.UnrolledAdjoint())

    assert float(jax.grad(f)(1.0)) == pytest.approx(_UNROLLED_GRADIENT, rel=1e-12)
    assert float(jax.jacrev(f)(1.0)) == pytest.approx(_UNROLLED_GRADIENT, rel=1e-12)
    assert jnp.allclose(jax.vmap(jax.grad(f))(jnp.ones(3)), _UNROLLED_GRADIENT)
    assert float(jax.hessian(f)(1.0)) == 0.0  # forward over reverse: the map is linear in a
