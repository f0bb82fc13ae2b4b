# Cython declarations for the compiled build of evaluator.py (an "augmenting" .pxd: the .py stays
# plain Python, and runs as it is without a C compiler).  The evaluator, its per-plan tables and
# its result classes are C structs: an evaluation makes about sixty results and sets each of
# their fields, which for a Python class is an attribute look-up every time.  Keep in step with
# the classes in evaluator.py: an attribute added there must be declared here.  setup.py
# explains the build.

from rrdsl.runtime cimport Ctx

cdef class _ExceptionPlan:
    cdef public object end, exception, start, trigger_events, trigger_var, when, where, while_

cdef class _NormPlan:
    cdef public object bearer_role, bearer_var, ben, breached_by, deadline, end, exceptions
    cdef public object fulfilled_by, fulfilled_on, fulfilled_when, kinds, norm, obligation
    cdef public object performance, start, trigger_events, trigger_var, values_part, when
    cdef public object when_text, where, where_at, where_facts, where_text, where_types, withs

cdef class Evaluator:
    cdef public object plan, c, facts, as_of, trace, with_values, fns, qualitative_events
    cdef public object as_of_text
    cdef public dict _triggers, _not_met, _statuses, _days
    cdef public set _qualitative, _missing, _asking
    cdef public Ctx ctx

cdef class _Record:
    pass

# NormResult and ValueResult are left out of the cyclic garbage collector (`@cython.no_gc` on
# the classes in evaluator.py: an augmenting .pxd does not take the decorator): they refer to
# nothing that refers back to them, and a batch that keeps its outcomes would otherwise have
# every full collection walk each of them again.
cdef class NormResult(_Record):
    cdef public object norm, instance, bearer, beneficiaries, trigger, status, reason
    cdef public object deadline, period_start, period_end, performed_on, breached_on
    cdef public object _missing, _assumptions, _exceptions, _withs, explanation
    cdef public object _beneficiaries_missing

cdef class ValueResult(_Record):
    cdef public object definition, label, value, _missing, explanation
