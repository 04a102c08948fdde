"""The one compiled part of Leviers: the DECP JSON record splitter (src/leviers/decp/_native/).

Everything else about the package is in pyproject.toml. The splitter is plain C with no Python C
API, loaded with ctypes (leviers.decp.native); setuptools builds it as an extension module so
that every install (wheel, `pip install .`, the editable install of `make setup`) compiles the
same code, or fails without a C compiler rather than running something else.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "leviers.decp._native._jsonsplit",
            sources=["src/leviers/decp/_native/jsonsplit.c"],
            extra_compile_args=["-O3"],
        )
    ]
)
