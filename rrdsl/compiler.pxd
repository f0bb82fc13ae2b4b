# Cython declarations for the compiled build of compiler.py: its closures declare `ctx: Ctx`,
# the evaluation context that runtime.pxd makes a C struct.  setup.py explains the build.

from rrdsl.runtime cimport Ctx
