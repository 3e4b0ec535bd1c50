"""Builds the scrubber's optional C modules; everything else is in pyproject.toml.

Both extensions are optional: without a C compiler the install still succeeds and the scrubber
runs its pure-Python walk and prefilter, with identical results. They need nothing but CPython's
headers: no system library, the same code on every platform.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("rules_engine.scrub._walker", ["rules_engine/scrub/_walker.c"], optional=True),
        Extension("rules_engine.scrub._prefilter", ["rules_engine/scrub/_prefilter.c"], optional=True),
    ],
)
