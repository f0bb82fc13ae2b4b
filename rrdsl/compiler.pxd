from rrdsl.runtime cimport Ctx
