"""Builds the scrubber's optional C modules; everything else is in pyproject.toml.

Both extensions are optional: without a C compiler the install still succeeds and the scrubber
runs its pure-Python walk and prefilter, with identical results. They need nothing but CPython's
headers: no system library, the same code on every platform.

They use CPython's full C API, not the limited API (abi3), so a wheel is built per Python
version: they read a str's own buffer by kind (``PyUnicode_DATA``/``PyUnicode_KIND``), which the
limited API does not offer (there a string is read through a UTF-8 or UCS-4 copy), and use the
unchecked list, tuple and character-class macros and static types.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("rules_engine.scrub._walker", ["rules_engine/scrub/_walker.c"], optional=True),
        Extension("rules_engine.scrub._prefilter", ["rules_engine/scrub/_prefilter.c"], optional=True),
    ],
)
