from .base import AbstractAdjoint as AbstractAdjoint
