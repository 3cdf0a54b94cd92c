"""Test-session set-up shared by every test module.

scikit-learn runs its array API estimator checks only when SciPy's array API
support is switched on, and SciPy reads ``SCIPY_ARRAY_API`` once, when it is
first imported; conftest is imported before the test modules (and so before
SciPy), which makes this the one place to set it for the whole suite.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
