"""The branch-and-bound buffers: a search whose stack spills to the host (and is refilled from
it) and whose proven boxes are emptied often ends exactly as one with roomy buffers."""

import operator

import jax.numpy as jnp
import numpy as np

import jaxfp.certify as certify
import jaxfp.looped as looped
from jaxfp.certify import _branch

FIELDS = (
    "boxes.lower",
    "boxes.upper",
    "enclosures.lower",
    "enclosures.upper",
    "points",
    "methods",
    "margins",
    "undecided.lower",
    "undecided.upper",
    "undecided_too_small",
)


def _search(net, max_boxes):
    return certify.certify_complete(net, batch_size=1, max_boxes=max_boxes)


def test_spilled_stack_gives_the_same_search(monkeypatch):
    rng = np.random.default_rng(0)
    weights = 2.0 * np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    net = looped.LoopedNet(
        jnp.asarray(weights),
        jnp.asarray(0.1 * rng.standard_normal(3)),
        looped.activation_from_name("tanh"),
    )
    for max_boxes in (100, 20_000):  # budget spent with boxes pending, and finished
        roomy = _search(net, max_boxes)
        spilled_runs = []
        run = _branch._run

        def counting(*args, run=run, spilled_runs=spilled_runs):
            spilled_runs.append(bool(args[-1]))
            return run(*args)

        with monkeypatch.context() as patch:
            patch.setattr(_branch, "_run", counting)
            patch.setattr(_branch, "_PENDING_BATCHES", 6)
            patch.setattr(_branch, "_KEEP_BATCHES", 2)
            patch.setattr(_branch, "_FOUND_BATCHES", 1)
            tight = _search(net, max_boxes)
        assert sum(spilled_runs) > 0  # the stack did spill to the host
        assert tight.boxes_processed == roomy.boxes_processed
        assert bool(tight.complete) == bool(roomy.complete) == (max_boxes > 100)
        for name in FIELDS:
            field = operator.attrgetter(name)
            np.testing.assert_array_equal(field(tight), field(roomy), err_msg=name)
