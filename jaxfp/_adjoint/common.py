"""Helpers shared by the differentiation strategies."""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax

from .._solution import Solution


def with_differentiable_aux(solution: Solution, fn: Callable, args: Any) -> Solution:
    """Recompute `aux` from the differentiable `value`, so gradients through `aux` are right.

    Does nothing (and costs nothing) when `fn` has no auxiliary output.
    """
    if not jax.tree_util.tree_leaves(solution.aux):
        return solution
    return dataclasses.replace(solution, aux=fn(solution.value, args)[1])
