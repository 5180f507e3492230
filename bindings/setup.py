"""Builds clickagg's native module with the project's own CMake (the `clickagg_python` target
and what it links, nothing else) and packages it with the Python files:

    pip install --no-build-isolation ./bindings

CLICKAGG_CMAKE_ARGS adds arguments to the CMake configuration (e.g. -DCLICKAGG_CUDA=OFF).
"""
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(clickagg VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        target = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve()
        build = pathlib.Path(self.build_temp).resolve() / "cmake"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                     "-DCLICKAGG_TESTS=OFF", "-DCLICKAGG_BENCH=OFF", f"-DPython_EXECUTABLE={sys.executable}"]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        if shutil.which("ccache"):
            configure += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
        configure += shlex.split(os.environ.get("CLICKAGG_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "clickagg_python", "--parallel"], check=True)
        built = next((build / "bindings" / "clickagg").glob("_native*.so"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)


setup(version=project_version(), ext_modules=[Extension("clickagg._native", sources=[])],
      cmdclass={"build_ext": CMakeBuild})
