// Swift cannot import HDF5's macro expressions (H5F_ACC_*, H5T_NATIVE_*, ...); these shims expose them.
#include <hdf5.h>

static inline unsigned shim_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned shim_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline hid_t shim_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t shim_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t shim_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t shim_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t shim_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shim_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t shim_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t shim_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t shim_H5T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t shim_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t shim_H5T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t shim_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t shim_H5T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t shim_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t shim_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t shim_H5T_C_S1(void) { return H5T_C_S1; }
/// Silences libhdf5's automatic error-stack printing; the Swift layer reports errors itself.
static inline void shim_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
