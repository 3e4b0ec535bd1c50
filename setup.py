"""Builds the optional C walk of the scrubber; everything else is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds and the scrubber
uses its pure-Python walk, with identical results. Where libhs (Hyperscan's C library and headers,
e.g. Debian's ``libhyperscan-dev``) is found, the prefilter's scan is built in as well.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

WALKER = "rules_engine.scrub._walker"


class BuildExt(build_ext):
    def build_extension(self, ext):
        if ext.name != WALKER or not self._has_libhs():
            return super().build_extension(ext)
        plain = (list(ext.define_macros), list(ext.libraries))
        ext.define_macros.append(("RULES_ENGINE_LIBHS", "1"))
        ext.libraries.append("hs")
        try:
            return super().build_extension(ext)
        except Exception as error:  # a libhs that compiles a test but not the module: build without
            self.warn(f"building {WALKER} without libhs: {error}")
            ext.define_macros, ext.libraries = plain
            return super().build_extension(ext)

    def _has_libhs(self) -> bool:
        try:
            return self.compiler.has_function("hs_version", includes=["hs/hs.h"], libraries=["hs"])
        except Exception:
            return False


setup(
    cmdclass={"build_ext": BuildExt},
    ext_modules=[Extension(WALKER, ["rules_engine/scrub/_walker.c"], optional=True)],
)
