"""The enumeration-method protocol: a Module of hyperparameters with one `run` method."""

import abc
import dataclasses
from typing import ClassVar

import equinox as eqx

from ..looped import LoopedNet
from ._fixed_points import FixedPoints


class AbstractEnumerationMethod(eqx.Module):
    """A way to enumerate the fixed points of a `jaxfp.looped.LoopedNet`.

    A method holds hyperparameters only (like the solvers); `run(net, **run_options)` does the
    work and returns a `jaxfp.enumeration.FixedPoints` (ending with
    `jaxfp.enumeration.assemble_fixed_points`). `run_options` names the options that are not
    hyperparameters (`checkpoint`, `resume`, `devices`, `part`, `progress`) this method takes;
    `jaxfp.enumerate_fixed_points` refuses any other. `name` is the method's CLI spelling.
    """

    name: ClassVar[str]
    run_options: ClassVar[tuple[str, ...]] = ()

    def hyperparameters(self, *leave_out: str) -> dict:
        """The method's hyperparameters (its fields) by name, less those named in `leave_out`:
        the keyword arguments its engine takes under the same names."""
        fields = dataclasses.fields(self)
        return {f.name: getattr(self, f.name) for f in fields if f.name not in leave_out}

    @abc.abstractmethod
    def run(self, net: LoopedNet, **run_options) -> FixedPoints:
        """Enumerate the fixed points of `net`."""
