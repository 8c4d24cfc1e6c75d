/* The MPI C API for Swift (Open MPI through pkg-config `ompi-c`; MPICH builds too with pkg-config `mpich`).
 *
 * MPI's predefined handles are macros Swift cannot import (Open MPI casts the address of a global:
 * `MPI_COMM_WORLD` = `((MPI_Comm)((void*)&ompi_mpi_comm_world))`; `MPI_IN_PLACE` = `((void *) 1)`), so
 * each one the package uses is returned by a static inline function below. */
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H

#define OMPI_SKIP_MPICXX 1  /* never pull in the C++ bindings */
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Op cmpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_min(void) { return MPI_MIN; }
static inline MPI_Op cmpi_max(void) { return MPI_MAX; }
static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *cmpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int cmpi_thread_single(void) { return MPI_THREAD_SINGLE; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int cmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int cmpi_success(void) { return MPI_SUCCESS; }

#endif
