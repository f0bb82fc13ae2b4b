cdef class Ctx:
    cdef public dict _at, _events, _same, memo
    cdef public object as_of, calendar, cutoff, facts, qualitative, trace
    cdef public Ctx root
    cpdef tuple events(self, str name)
    cpdef bint same_as_root(self, str name, types)
    cpdef Ctx at(self, day)
