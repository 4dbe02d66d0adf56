import pytest

from .zoo import SOLVERS


@pytest.fixture(params=sorted(SOLVERS))
def solver_name(request):
    return request.param
