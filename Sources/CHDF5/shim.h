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

// ---- Used by the HDF5 reader and writer (Sources/Checkpoint/HDF5). ----
#include <string.h>

static inline hid_t shim_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t shim_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t shim_H5P_LINK_ACCESS(void) { return H5P_LINK_ACCESS; }
static inline hid_t shim_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
static inline size_t shim_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline haddr_t shim_HADDR_UNDEF(void) { return HADDR_UNDEF; }

/// Turns off dynamic loading of filter plugins (HDF5_PLUGIN_PATH): reading a file never loads code.
static inline herr_t shim_disable_plugins(void) { return H5PLset_loading_state(0); }

static herr_t shim__deny_external_link(const char *parent_file, const char *parent_group, const char *child_file,
                                       const char *child_object, unsigned *acc_flags, hid_t fapl, void *data) {
    (void)parent_file; (void)parent_group; (void)child_file; (void)child_object; (void)acc_flags; (void)fapl; (void)data;
    return -1;
}

/// Makes every traversal through `lapl` (a link or dataset access list) fail at an external link,
/// so no path lookup can ever open another file.
static inline herr_t shim_deny_external_links(hid_t lapl) { return H5Pset_elink_cb(lapl, shim__deny_external_link, NULL); }

/// The type (H5L_TYPE_HARD, _SOFT, _EXTERNAL, user-defined) of the n-th link of `group`, or -1.
static inline int shim_link_type_by_idx(hid_t group, H5_index_t index_type, hsize_t n, hid_t lapl) {
    H5L_info_t info;
    if (H5Lget_info_by_idx(group, ".", index_type, H5_ITER_INC, n, &info, lapl) < 0) return -1;
    return (int)info.type;
}

/// The type of the link `name` directly inside `group`, or -1 (no such link or failure).
static inline int shim_link_type(hid_t group, const char *name, hid_t lapl) {
    H5L_info_t info;
    if (H5Lget_info(group, name, &info, lapl) < 0) return -1;
    return (int)info.type;
}

/// Identity (address or token prefix), object type and attribute count of an open object; -1 on failure.
static inline int shim_object_info(hid_t object, unsigned long long *key, int *type, unsigned long long *num_attrs) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(object, &info, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) < 0) return -1;
    unsigned long long k = 0;
    memcpy(&k, &info.token, sizeof(k) < sizeof(info.token) ? sizeof(k) : sizeof(info.token));
    *key = k;
#else
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) < 0) return -1;
    *key = (unsigned long long)info.addr;
#endif
    *type = (int)info.type;
    *num_attrs = (unsigned long long)info.num_attrs;
    return 0;
}

/// Frees the strings libhdf5 allocated for a variable-length string read.
static inline herr_t shim_vlen_reclaim(hid_t type, hid_t space, void *buffer) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

typedef struct { char *buffer; size_t size; } shim__error_text;

static herr_t shim__innermost_error(unsigned n, const H5E_error2_t *error, void *data) {
    shim__error_text *out = (shim__error_text *)data;
    if (n == 0 && error != NULL && error->desc != NULL && out->size > 0) {
        strncpy(out->buffer, error->desc, out->size - 1);
        out->buffer[out->size - 1] = 0;
    }
    return 0;
}

/// Copies the innermost (most specific) message of libhdf5's current error stack into `buffer`
/// (empty when there is none).
static inline void shim_last_error(char *buffer, size_t size) {
    if (size == 0) return;
    buffer[0] = 0;
    shim__error_text out = { buffer, size };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, shim__innermost_error, &out);
}

/// Called once per link, in index order; return 0 to continue, non-zero to stop.
typedef int (*shim_link_visitor)(const char *name, int link_type, void *context);
typedef struct { shim_link_visitor visitor; void *context; } shim__link_visit;

#if H5_VERSION_GE(1, 12, 0)
static herr_t shim__link_callback(hid_t group, const char *name, const H5L_info2_t *info, void *data) {
#else
static herr_t shim__link_callback(hid_t group, const char *name, const H5L_info_t *info, void *data) {
#endif
    (void)group;
    shim__link_visit *visit = (shim__link_visit *)data;
    return (herr_t)visit->visitor(name, (int)info->type, visit->context);
}

/// Lists the links of `group` in one pass (name or creation order), with their link types. One
/// H5Literate pass is O(n); asking by index link after link would be O(n^2) on large groups.
static inline herr_t shim_iterate_links(hid_t group, H5_index_t index_type, shim_link_visitor visitor, void *context) {
    shim__link_visit visit = { visitor, context };
    hsize_t index = 0;
#if H5_VERSION_GE(1, 12, 0)
    return H5Literate2(group, index_type, H5_ITER_INC, &index, shim__link_callback, &visit);
#else
    return H5Literate(group, index_type, H5_ITER_INC, &index, shim__link_callback, &visit);
#endif
}

#include "preflight.h"
