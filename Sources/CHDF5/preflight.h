// A sacrificial pass over an HDF5 file in a forked child process.
//
// libhdf5 (1.10.x especially) can crash or loop on malformed metadata: corrupt global-heap string
// lengths, attribute tables, chunk indexes. The reader therefore first lets a child process touch,
// through libhdf5, everything it will touch itself: every object header and link (in the orders the
// reader iterates), every string attribute's value, every dataset's type, shape, creation properties
// and chunk index, and the data of non-contiguous datasets up to a byte budget. Only if the child
// finishes does the parent parse the file in process. Pure C: after fork() only libc and libhdf5 run
// (plus, in sanitizer builds, one call to the sanitizer runtime).
//
// Variable-length strings live in the global heap, where libhdf5 1.10 follows corrupt references
// without bounds checks: a wild read that may or may not fault depending on the process's memory
// layout, so the child surviving one proves nothing for the parent. The child therefore reads every
// variable-length string attribute itself and sends the values to the parent through a pipe
// (length-prefixed records, bounded sizes); the parent never reads such an attribute in process.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/// Limits of the child's report (`shim_preflight_output`): most bytes in all, most bytes and strings
/// in one attribute (the Swift reader's `HDF5Attributes.maxAttributeBytes` / `maxAttributeCount`).
#define SHIM_PREFLIGHT_MAX_OUTPUT ((size_t)64 << 20)
#define SHIM_PREFLIGHT_MAX_ATTRIBUTE_BYTES ((size_t)16 << 20)
#define SHIM_PREFLIGHT_MAX_STRINGS 65536
#define SHIM_PREFLIGHT_MAX_NAME 65536

/// Record tags of the child's report. Every record starts with a uint32 tag; tags 1-3 continue with
/// uint64 object key (`shim_object_info`'s), uint32 name length, the attribute name's bytes; tag 1 then
/// holds uint32 count and `count` × (uint32 length, bytes). All integers in host byte order (the
/// parent is the child's own parent).
#define SHIM_PREFLIGHT_STRINGS 1     /* a variable-length string attribute's values */
#define SHIM_PREFLIGHT_UNREADABLE 2  /* libhdf5 failed to read it */
#define SHIM_PREFLIGHT_TOO_LARGE 3   /* more than SHIM_PREFLIGHT_MAX_STRINGS strings or _MAX_ATTRIBUTE_BYTES bytes */
#define SHIM_PREFLIGHT_EXHAUSTED 4   /* SHIM_PREFLIGHT_MAX_OUTPUT reached: later attributes are not reported */
#define SHIM_PREFLIGHT_END 5         /* the child walked the whole file (last record) */
#define SHIM_PREFLIGHT_MALFORMED 6   /* uint64 absolute byte offset, uint32 length, text: an object header the
                                        child's own check refused before libhdf5 decoded it (the last record) */

/// What the child reported: `length` bytes of records (see the tags above), malloc'ed; free with
/// `shim_preflight_output_free`.
typedef struct { unsigned char *bytes; size_t length; } shim_preflight_output;

static inline void shim_preflight_output_free(shim_preflight_output *output) {
    free(output->bytes);
    output->bytes = NULL;
    output->length = 0;
}

typedef struct {
    int fd;                 ///< write end of the pipe to the parent
    size_t written;         ///< bytes sent so far
    int exhausted;          ///< SHIM_PREFLIGHT_EXHAUSTED sent
    int failed;             ///< a write failed (the parent went away): stop sending
} shim__preflight_report;

static void shim__report_bytes(shim__preflight_report *report, const void *bytes, size_t length) {
    const unsigned char *next = (const unsigned char *)bytes;
    while (length > 0 && !report->failed) {
        ssize_t done = write(report->fd, next, length);
        if (done < 0 && errno == EINTR) continue;
        if (done <= 0) { report->failed = 1; return; }
        next += done;
        length -= (size_t)done;
        report->written += (size_t)done;
    }
}

static void shim__report_u32(shim__preflight_report *report, uint32_t value) { shim__report_bytes(report, &value, sizeof(value)); }

/// Starts a record of `size` bytes (tag included) unless it would not fit in the output budget
/// (keeping room for the two one-tag records); then sends SHIM_PREFLIGHT_EXHAUSTED once and returns 0.
static int shim__report_begin(shim__preflight_report *report, size_t size, uint32_t tag) {
    if (report->failed || report->exhausted) return 0;
    if (size > SHIM_PREFLIGHT_MAX_OUTPUT - 8 - report->written) {
        report->exhausted = 1;
        shim__report_u32(report, SHIM_PREFLIGHT_EXHAUSTED);
        return 0;
    }
    shim__report_u32(report, tag);
    return 1;
}

static void shim__report_attribute(shim__preflight_report *report, uint32_t tag, unsigned long long key, const char *name,
                                   size_t name_length, char **strings, uint32_t count, const size_t *lengths, size_t total) {
    size_t size = 4 + 8 + 4 + name_length + (tag == SHIM_PREFLIGHT_STRINGS ? 4 + 4 * (size_t)count + total : 0);
    if (!shim__report_begin(report, size, tag)) return;
    uint64_t key64 = (uint64_t)key;
    shim__report_bytes(report, &key64, sizeof(key64));
    shim__report_u32(report, (uint32_t)name_length);
    shim__report_bytes(report, name, name_length);
    if (tag != SHIM_PREFLIGHT_STRINGS) return;
    shim__report_u32(report, count);
    for (uint32_t i = 0; i < count; i++) {
        shim__report_u32(report, (uint32_t)lengths[i]);
        if (lengths[i] > 0) shim__report_bytes(report, strings[i], lengths[i]);
    }
}

/// The raw file, for the child's own bounds-checked reads of object headers (`shim__check_attributes`).
typedef struct {
    int fd;
    unsigned long long size;       ///< file size in bytes
    unsigned long long base;       ///< absolute offset of address 0 (the user block size)
    unsigned offset_size, length_size;
} shim__raw_file;

typedef struct {
    hid_t link_access;
    size_t data_budget;
    unsigned long long links_left;
    shim__preflight_report *report;
    shim__raw_file raw;
    int refused;                   ///< SHIM_PREFLIGHT_MALFORMED sent: stop the walk
} shim__preflight_state;

#include "preflight_headers.h"

typedef struct { unsigned long long key; shim__preflight_report *report; } shim__preflight_attributes;

/// Reads a variable-length string attribute (the only place global-heap data is dereferenced) and
/// reports its values to the parent, which never reads such attributes itself.
static void shim__preflight_vlen_strings(hid_t attribute, hid_t type, hid_t space, hssize_t count, const char *name,
                                         shim__preflight_attributes *context) {
    size_t name_length = strnlen(name, SHIM_PREFLIGHT_MAX_NAME + 1);
    if (name_length > SHIM_PREFLIGHT_MAX_NAME) return;  // never looked up: the parent refuses the attribute
    if (count > SHIM_PREFLIGHT_MAX_STRINGS) {
        shim__report_attribute(context->report, SHIM_PREFLIGHT_TOO_LARGE, context->key, name, name_length, NULL, 0, NULL, 0);
        return;
    }
    uint32_t tag = SHIM_PREFLIGHT_UNREADABLE;
    char **strings = NULL;
    size_t *lengths = NULL;
    size_t total = 0;
    int read = 0;
    hid_t memory = H5Tcopy(H5T_C_S1);
    if (memory >= 0 && H5Tset_size(memory, H5T_VARIABLE) >= 0 && H5Tset_cset(memory, H5Tget_cset(type)) >= 0) {
        strings = (char **)calloc((size_t)count, sizeof(char *));
        lengths = (size_t *)calloc((size_t)count, sizeof(size_t));
        if (strings != NULL && lengths != NULL && H5Aread(attribute, memory, strings) >= 0) {
            read = 1;
            tag = SHIM_PREFLIGHT_STRINGS;
            for (hssize_t i = 0; i < count; i++) {
                lengths[i] = strings[i] == NULL ? 0 : strnlen(strings[i], SHIM_PREFLIGHT_MAX_ATTRIBUTE_BYTES + 1);
                total += lengths[i];
                if (total > SHIM_PREFLIGHT_MAX_ATTRIBUTE_BYTES) { tag = SHIM_PREFLIGHT_TOO_LARGE; break; }
            }
        }
    }
    shim__report_attribute(context->report, tag, context->key, name, name_length, strings, (uint32_t)count, lengths, total);
    if (read) shim_vlen_reclaim(memory, space, strings);
    free(strings);
    free(lengths);
    if (memory >= 0) H5Tclose(memory);
}

static herr_t shim__preflight_attribute(hid_t location, const char *name, const H5A_info_t *info, void *data) {
    (void)info;
    hid_t attribute = H5Aopen(location, name, H5P_DEFAULT);
    if (attribute < 0) return 0;
    hid_t type = H5Aget_type(attribute);
    hid_t space = H5Aget_space(attribute);
    if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING) {
        hssize_t count = H5Sget_simple_extent_npoints(space);
        if (count > 0 && H5Tis_variable_str(type) > 0) {
            shim__preflight_vlen_strings(attribute, type, space, count, name, (shim__preflight_attributes *)data);
        } else if (count > 0 && count <= SHIM_PREFLIGHT_MAX_STRINGS) {
            size_t size = H5Tget_size(type);
            if (size > 0 && size <= SHIM_PREFLIGHT_MAX_ATTRIBUTE_BYTES / (size_t)count) {
                void *bytes = malloc(size * (size_t)count);
                if (bytes != NULL) H5Aread(attribute, type, bytes);
                free(bytes);
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
    unsigned long long key = 0, attributes = 0;
    int object_type = 0;
    shim__preflight_attributes context = { 0, state->report };
    if (shim_object_info(object, &key, &object_type, &attributes) >= 0) {
        context.key = key;
        if (attributes > 0 && shim__check_attributes(state, key) != 0) {
            H5Oclose(object);
            return 1;  // refused (reported): libhdf5 never decodes this header's attribute messages
        }
        hsize_t index = 0;
        H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, shim__preflight_attribute, &context);
    }
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

/// The child's work: everything the reader will ask libhdf5 for (closing the file included), results
/// ignored except the values of variable-length string attributes, which go to `report` (ended by
/// SHIM_PREFLIGHT_END when the walk got through the whole file).
static void shim__preflight(const char *path, size_t data_budget, shim__preflight_report *report) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5PLset_loading_state(0);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(access, 1, 1);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, access);
    H5Pclose(access);
    if (file < 0) return;
    shim__preflight_state state = { H5Pcreate(H5P_LINK_ACCESS), data_budget, 1ull << 20, report, { -1, 0, 0, 0, 0 }, 0 };
    if (shim__raw_open(&state.raw, path, file) != 0) {
        H5Pclose(state.link_access);
        H5Fclose(file);
        return;  // no END record: the parent refuses the file
    }
    H5Pset_elink_cb(state.link_access, shim__preflight_deny_external_link, NULL);
    H5Pset_nlinks(state.link_access, 16);
#if H5_VERSION_GE(1, 12, 0)
    herr_t visited = H5Ovisit3(file, H5_INDEX_NAME, H5_ITER_INC, shim__preflight_object, &state, H5O_INFO_BASIC);
#else
    herr_t visited = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, shim__preflight_object, &state, H5O_INFO_BASIC);
#endif
    H5Pclose(state.link_access);
    // The reader closes the file too, which frees every cached object header and the messages decoded
    // from it (libhdf5 1.10 can fault freeing a half-decoded attribute message): do it here first.
    H5Fclose(file);
    close(state.raw.fd);
    if (visited >= 0 && state.links_left > 0 && !state.refused) shim__report_u32(report, SHIM_PREFLIGHT_END);
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

/// The sanitizer runtime's hook for "about to die" (present only in sanitizer builds). libFuzzer sets
/// it to save the current input as a crash; the child clears it so that libhdf5 failing inside the
/// sandbox (which the parent turns into an error) is not recorded as a crash of the reader.
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/// Appends what is readable on `fd` to `output` (at most SHIM_PREFLIGHT_MAX_OUTPUT bytes).
/// Returns 1 at end of file, 0 when nothing more is available yet, -1 on overflow or a read error.
static int shim__preflight_collect(int fd, shim_preflight_output *output, size_t *capacity) {
    const size_t limit = SHIM_PREFLIGHT_MAX_OUTPUT + 1;  // one byte more than allowed detects overflow
    for (;;) {
        if (output->length >= limit) return -1;
        if (output->length == *capacity) {
            size_t grown = *capacity == 0 ? 65536 : *capacity * 2;
            if (grown > limit) grown = limit;
            unsigned char *bytes = (unsigned char *)realloc(output->bytes, grown);
            if (bytes == NULL) return -1;
            output->bytes = bytes;
            *capacity = grown;
        }
        ssize_t done = read(fd, output->bytes + output->length, *capacity - output->length);
        if (done > 0) { output->length += (size_t)done; continue; }
        if (done == 0) return 1;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

/// Runs the preflight of `path` in a forked child and waits at most `timeout_ms`, collecting the
/// child's report (variable-length string attribute values, see the record tags) into `output`,
/// which the caller frees with `shim_preflight_output_free` whatever the result.
/// Returns 0 when the child finished, the signal number (> 0) when a signal ended it, -2 after a
/// timeout (the child is killed), -3 when it exited abnormally, -4 when its report was larger than
/// SHIM_PREFLIGHT_MAX_OUTPUT or unreadable (the child is killed), -1 when no child could be run.
static inline int shim_preflight_in_child(const char *path, size_t data_budget, long timeout_ms, shim_preflight_output *output) {
    output->bytes = NULL;
    output->length = 0;
    int channel[2];
    if (pipe(channel) != 0) return -1;
    fcntl(channel[0], F_SETFD, FD_CLOEXEC);
    fcntl(channel[1], F_SETFD, FD_CLOEXEC);
    pid_t child = fork();
    if (child < 0) {
        close(channel[0]);
        close(channel[1]);
        return -1;
    }
    if (child == 0) {
        // Die quietly: no inherited crash handler (the Swift runtime prints backtraces, libFuzzer
        // saves artifacts), no output.
        if (__sanitizer_set_death_callback != NULL) __sanitizer_set_death_callback(NULL);
        int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
        for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) signal(crash_signals[i], SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        close(channel[0]);
        int null_device = open("/dev/null", O_WRONLY);
        if (null_device >= 0) {
            dup2(null_device, 1);
            dup2(null_device, 2);
            close(null_device);
        }
        shim__limit_memory(data_budget + ((size_t)1 << 30));
        shim__preflight_report report = { channel[1], 0, 0, 0 };
        shim__preflight(path, data_budget, &report);
        _exit(report.failed ? 3 : 0);
    }
    close(channel[1]);
    int reader = channel[0];
    fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK);
    size_t capacity = 0;
    int result = 0, at_end = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long pause_ns = 100000;
    for (;;) {
        if (!at_end) {
            int collected = shim__preflight_collect(reader, output, &capacity);
            if (collected < 0) { result = -4; break; }
            at_end = collected == 1;
        }
        int status = 0;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            // Everything the child wrote is in the pipe now; take the rest (EOF, or EAGAIN when some
            // other process inherited the write end).
            if (!at_end && shim__preflight_collect(reader, output, &capacity) < 0) { close(reader); return -4; }
            close(reader);
            if (WIFSIGNALED(status)) return WTERMSIG(status);
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -3;
        }
        if (done < 0 && errno != EINTR) {  // not our child any more (reaped elsewhere): nothing to kill
            close(reader);
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms = (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms > timeout_ms) { result = -2; break; }
        if (at_end) {
            struct timespec pause = { 0, pause_ns };
            nanosleep(&pause, NULL);
            if (pause_ns < 20000000) pause_ns *= 2;
        } else {
            struct pollfd ready = { reader, POLLIN, 0 };
            poll(&ready, 1, 20);
        }
    }
    close(reader);
    kill(child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return result;
}

/// Runs the same walk in THIS process (fuzzing only: nothing protects the caller from libhdf5 faults
/// or loops), the report going through an unlinked temporary file instead of a pipe. Returns 0 when the
/// walk finished and its report was read back, -4 when the report was too large or unreadable, -1 when
/// no temporary file could be made.
static inline int shim_preflight_in_process(const char *path, size_t data_budget, shim_preflight_output *output) {
    output->bytes = NULL;
    output->length = 0;
    FILE *spool = tmpfile();
    if (spool == NULL) return -1;
    shim__preflight_report report = { fileno(spool), 0, 0, 0 };
    shim__preflight(path, data_budget, &report);
    if (report.failed || lseek(report.fd, 0, SEEK_SET) != 0) { fclose(spool); return -4; }
    size_t capacity = 0;
    int collected = shim__preflight_collect(report.fd, output, &capacity);
    fclose(spool);
    return collected == 1 ? 0 : -4;
}

/// The report limits for Swift (which cannot import the macros' casts).
static inline int shim_preflight_max_output(void) { return (int)SHIM_PREFLIGHT_MAX_OUTPUT; }
static inline int shim_preflight_max_attribute_bytes(void) { return (int)SHIM_PREFLIGHT_MAX_ATTRIBUTE_BYTES; }
