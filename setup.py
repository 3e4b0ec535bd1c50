"""Builds the optional C walk of the scrubber; everything else is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and the scrubber
uses its pure-Python walk, with identical results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("rules_engine.scrub._walker", ["rules_engine/scrub/_walker.c"], optional=True),
    ]
)
