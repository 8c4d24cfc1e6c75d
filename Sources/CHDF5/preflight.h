// A sacrificial pass over an HDF5 file in a forked child process.
//
// libhdf5 (1.10.x especially) can crash or loop on malformed metadata: corrupt global-heap string
// lengths, attribute tables, chunk indexes. The reader therefore first lets a child process touch,
// through libhdf5, everything it will touch itself: every object header and link (in the orders the
// reader iterates), every string attribute's value, every dataset's type, shape, creation properties
// and chunk index, and the data of non-contiguous datasets up to a byte budget. Only if the child
// finishes does the parent parse the file in process. Pure C: after fork() only libc and libhdf5 run.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    hid_t link_access;
    size_t data_budget;
    unsigned long long links_left;
} shim__preflight_state;

static herr_t shim__preflight_attribute(hid_t location, const char *name, const H5A_info_t *info, void *data) {
    (void)info; (void)data;
    hid_t attribute = H5Aopen(location, name, H5P_DEFAULT);
    if (attribute < 0) return 0;
    hid_t type = H5Aget_type(attribute);
    hid_t space = H5Aget_space(attribute);
    if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING) {
        hssize_t count = H5Sget_simple_extent_npoints(space);
        if (count > 0 && count <= 65536) {
            if (H5Tis_variable_str(type) > 0) {
                hid_t memory = H5Tcopy(H5T_C_S1);
                if (memory >= 0 && H5Tset_size(memory, H5T_VARIABLE) >= 0 && H5Tset_cset(memory, H5Tget_cset(type)) >= 0) {
                    char **strings = (char **)calloc((size_t)count, sizeof(char *));
                    if (strings != NULL && H5Aread(attribute, memory, strings) >= 0) shim_vlen_reclaim(memory, space, strings);
                    free(strings);
                }
                if (memory >= 0) H5Tclose(memory);
            } else {
                size_t size = H5Tget_size(type);
                if (size > 0 && size <= ((size_t)16 << 20) / (size_t)count) {
                    void *bytes = malloc(size * (size_t)count);
                    if (bytes != NULL) H5Aread(attribute, type, bytes);
                    free(bytes);
                }
            }
        }
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(attribute);
    return 0;
}

static void shim__preflight_type(hid_t type) {
    H5T_class_t type_class = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    if (type_class == H5T_FLOAT) {
        size_t fields[5];
        H5Tget_fields(type, &fields[0], &fields[1], &fields[2], &fields[3], &fields[4]);
        H5Tget_ebias(type);
        H5Tget_norm(type);
    }
    if (type_class == H5T_INTEGER || type_class == H5T_FLOAT) {
        H5Tget_order(type);
        H5Tget_precision(type);
        H5Tget_offset(type);
        H5Tget_sign(type);
    }
    if (type_class == H5T_ENUM) {
        hid_t base = H5Tget_super(type);
        if (base >= 0) H5Tclose(base);
        int members = H5Tget_nmembers(type);
        for (int i = 0; i < members && i < 16; i++) {
            char *member = H5Tget_member_name(type, (unsigned)i);
            if (member != NULL) H5free_memory(member);
            unsigned char value[16];
            if (size <= sizeof(value)) H5Tget_member_value(type, (unsigned)i, value);
        }
    }
}

static void shim__preflight_dataset(hid_t dataset, shim__preflight_state *state) {
    hid_t type = H5Dget_type(dataset);
    hid_t space = H5Dget_space(dataset);
    hid_t create = H5Dget_create_plist(dataset);
    H5Dget_offset(dataset);
    H5Dget_storage_size(dataset);
    int readable = type >= 0 && space >= 0 && create >= 0;
    if (type >= 0) {
        shim__preflight_type(type);
        H5T_class_t type_class = H5Tget_class(type);
        readable = readable && (type_class == H5T_INTEGER || type_class == H5T_FLOAT || type_class == H5T_ENUM);
    }
    if (space >= 0) {
        hsize_t dims[H5S_MAX_RANK];
        int rank = H5Sget_simple_extent_ndims(space);
        if (rank >= 0 && rank <= H5S_MAX_RANK) H5Sget_simple_extent_dims(space, dims, NULL);
    }
    if (create >= 0) {
        H5D_layout_t layout = H5Pget_layout(create);
        int filters = H5Pget_nfilters(create);
        for (int i = 0; i < filters && i < 32; i++) {
            unsigned flags = 0, config = 0;
            size_t values = 0;
            char name[256];
            H5Z_filter_t id = H5Pget_filter2(create, (unsigned)i, &flags, &values, NULL, sizeof(name), name, &config);
            if (id < 0 || id > 6) readable = 0;
        }
        if (H5Pget_external_count(create) != 0) readable = 0;
        if (layout == H5D_CHUNKED && space >= 0) {
            hsize_t chunks = 0;
            H5Dget_num_chunks(dataset, space, &chunks);
        }
        readable = readable && (layout == H5D_CHUNKED || layout == H5D_COMPACT);
    }
    if (readable) {
        hssize_t points = H5Sget_simple_extent_npoints(space);
        size_t size = H5Tget_size(type);
        if (points > 0 && size > 0 && (size_t)points <= state->data_budget / size) {
            size_t bytes = (size_t)points * size;
            void *buffer = malloc(bytes);
            if (buffer != NULL) {
                H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
                free(buffer);
                state->data_budget -= bytes;
            }
        }
    }
    if (create >= 0) H5Pclose(create);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
}

typedef struct { hid_t group; shim__preflight_state *state; } shim__preflight_group_visit;

static int shim__preflight_link(const char *name, int link_type, void *context) {
    shim__preflight_group_visit *visit = (shim__preflight_group_visit *)context;
    if (visit->state->links_left == 0) return 1;
    visit->state->links_left--;
    if (strcmp(name, ".") == 0 || strchr(name, '/') != NULL) return 0;
    if (link_type == H5L_TYPE_SOFT) {
        char target[1024];
        H5Lget_val(visit->group, name, target, sizeof(target) - 1, visit->state->link_access);
    }
    if (link_type == H5L_TYPE_HARD || link_type == H5L_TYPE_SOFT) {
        hid_t object = H5Oopen(visit->group, name, visit->state->link_access);
        if (object >= 0) {
            unsigned long long key = 0, attributes = 0;
            int object_type = 0;
            shim_object_info(object, &key, &object_type, &attributes);
            H5Oclose(object);
        }
    }
    return 0;
}

static void shim__preflight_group(hid_t group, shim__preflight_state *state) {
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) return;
    unsigned flags = 0;
    hid_t create = H5Gget_create_plist(group);
    if (create >= 0) {
        H5Pget_link_creation_order(create, &flags);
        H5Pclose(create);
    }
    shim__preflight_group_visit visit = { group, state };
    shim_iterate_links(group, (flags & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, shim__preflight_link, &visit);
}

#if H5_VERSION_GE(1, 12, 0)
static herr_t shim__preflight_object(hid_t root, const char *name, const H5O_info2_t *info, void *data) {
#else
static herr_t shim__preflight_object(hid_t root, const char *name, const H5O_info_t *info, void *data) {
#endif
    shim__preflight_state *state = (shim__preflight_state *)data;
    if (state->links_left == 0) return 1;
    hid_t object = H5Oopen(root, name, state->link_access);
    if (object < 0) return 0;
    hsize_t index = 0;
    H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, shim__preflight_attribute, NULL);
    if (info->type == H5O_TYPE_GROUP) shim__preflight_group(object, state);
    if (info->type == H5O_TYPE_DATASET) shim__preflight_dataset(object, state);
    H5Oclose(object);
    return 0;
}

static herr_t shim__preflight_deny_external_link(const char *parent_file, const char *parent_group, const char *child_file,
                                                 const char *child_object, unsigned *acc_flags, hid_t fapl, void *data) {
    (void)parent_file; (void)parent_group; (void)child_file; (void)child_object; (void)acc_flags; (void)fapl; (void)data;
    return -1;
}

/// The child's work: everything the reader will ask libhdf5 for, results ignored.
static void shim__preflight(const char *path, size_t data_budget) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5PLset_loading_state(0);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(access, 1, 1);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, access);
    if (file < 0) return;
    shim__preflight_state state = { H5Pcreate(H5P_LINK_ACCESS), data_budget, 1ull << 20 };
    H5Pset_elink_cb(state.link_access, shim__preflight_deny_external_link, NULL);
    H5Pset_nlinks(state.link_access, 16);
#if H5_VERSION_GE(1, 12, 0)
    H5Ovisit3(file, H5_INDEX_NAME, H5_ITER_INC, shim__preflight_object, &state, H5O_INFO_BASIC);
#else
    H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, shim__preflight_object, &state, H5O_INFO_BASIC);
#endif
}

/// Caps the child's address space at its current size plus `extra` bytes, so a corrupt length makes
/// an allocation fail in the child instead of exhausting the machine's memory.
static void shim__limit_memory(size_t extra) {
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm == NULL) return;
    unsigned long pages = 0;
    int parsed = fscanf(statm, "%lu", &pages);
    fclose(statm);
    long page = sysconf(_SC_PAGESIZE);
    if (parsed != 1 || page <= 0) return;
    struct rlimit limit;
    limit.rlim_cur = limit.rlim_max = (rlim_t)pages * (rlim_t)page + (rlim_t)extra;
    setrlimit(RLIMIT_AS, &limit);
}

/// Runs the preflight of `path` in a forked child and waits at most `timeout_ms`.
/// Returns 0 when the child finished, the signal number (> 0) when a signal ended it, -2 after a
/// timeout (the child is killed), -3 when it exited abnormally, -1 when no child could be run.
static inline int shim_preflight_in_child(const char *path, size_t data_budget, long timeout_ms) {
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        // Die quietly: no inherited crash handler (the Swift runtime prints backtraces), no output.
        int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
        for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) signal(crash_signals[i], SIG_DFL);
        int null_device = open("/dev/null", O_WRONLY);
        if (null_device >= 0) {
            dup2(null_device, 1);
            dup2(null_device, 2);
            close(null_device);
        }
        shim__limit_memory(data_budget + ((size_t)1 << 30));
        shim__preflight(path, data_budget);
        _exit(0);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long pause_ns = 100000;
    for (;;) {
        int status = 0;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            if (WIFSIGNALED(status)) return WTERMSIG(status);
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -3;
        }
        if (done < 0 && errno != EINTR) return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms = (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms > timeout_ms) {
            kill(child, SIGKILL);
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
            return -2;
        }
        struct timespec pause = { 0, pause_ns };
        nanosleep(&pause, NULL);
        if (pause_ns < 20000000) pause_ns *= 2;
    }
}
