# Cython declarations for the compiled build of runtime.py (an "augmenting" .pxd: the .py stays
# plain Python, and runs as it is without a C compiler).  The evaluation context is a C struct,
# so that the compiled compiler and evaluator, which declare `ctx: Ctx`, read its fields and
# call its methods without Python's attribute look-up.  Keep in step with the class in
# runtime.py: an attribute added there must be declared here (the compiled build refuses to
# set an undeclared one).  setup.py explains the build.

cdef class Ctx:
    cdef public dict _at, _events, _same, memo, recursion
    cdef public object as_of, calendar, cutoff, facts, qualitative, status_of, trace
    cdef public Ctx root
    cpdef tuple events(self, str name)
    cpdef int changes(self, str fact)
    cpdef bint same_as_root(self, str name, types)
    cpdef Ctx of_day(self, day)
    cpdef Ctx at(self, day)
