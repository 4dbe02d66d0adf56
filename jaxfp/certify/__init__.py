"""Certificates for fixed points of looped networks: interval arithmetic, the contraction test
(P1 Theorem 4.1), the Krawczyk test, robustness margins (P1 Theorem 4.2), and a
branch-and-bound search that proves a box holds no other fixed points."""

from ._box import certify_box as certify_box
from ._box import robustness_margin as robustness_margin
from ._complete import CompleteCertificate as CompleteCertificate
from ._complete import certify_complete as certify_complete
from ._interval import Box as Box
from ._interval import Interval as Interval
from ._point import certify_fixed_point as certify_fixed_point
from ._results import (
    Certificate as Certificate,
)
from ._results import (
    CertificateMethod as CertificateMethod,
)
from ._results import (
    CertificateReason as CertificateReason,
)
