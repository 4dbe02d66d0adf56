from .results import RESULTS as RESULTS
from .solution import Solution as Solution, Stats as Stats
