// The pre-pass child's own check of an object header's attribute messages, before libhdf5 decodes any.
//
// libhdf5 1.10 decodes an attribute message (H5O_attr_decode) by copying its name and data with the
// lengths the message declares — name length, datatype and dataspace sizes, element count × element
// size — without checking them against the message's own size, so a corrupt message makes it read past
// its heap buffer (fixtures/adversarial/hdf5/attribute_table_overread.h5). Such a read rarely faults
// (the child survives) but copies foreign heap bytes into attribute values — the reader's metadata. The
// child therefore reads each object header that holds attributes itself, with bounds-checked reads of
// the raw file (header versions 1 and 2, continuation chunks), and refuses the file when an attribute
// message's parts do not fit in it, when it is shared (its content lives elsewhere), or when a header
// is malformed; libhdf5 then never decodes it. Included by preflight.h (needs shim__preflight_state).
#include <sys/stat.h>

#define SHIM_HEADER_MAX_CHUNK ((unsigned long long)16 << 20)  /* larger object header chunks are refused */
#define SHIM_HEADER_MAX_CHUNKS 4096                           /* continuation chunks per header */

static int shim__raw_open(shim__raw_file *raw, const char *path, hid_t file) {
    raw->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (raw->fd < 0) return -1;
    struct stat info;
    hid_t create = H5Fget_create_plist(file);
    size_t offsets = 0, lengths = 0;
    hsize_t user_block = 0;
    int ok = fstat(raw->fd, &info) == 0 && create >= 0 && H5Pget_sizes(create, &offsets, &lengths) >= 0 &&
             H5Pget_userblock(create, &user_block) >= 0;
    if (create >= 0) H5Pclose(create);
    if (!ok || (offsets != 2 && offsets != 4 && offsets != 8) || (lengths != 2 && lengths != 4 && lengths != 8)) {
        close(raw->fd);
        raw->fd = -1;
        return -1;
    }
    raw->size = (unsigned long long)info.st_size;
    raw->base = (unsigned long long)user_block;
    raw->offset_size = (unsigned)offsets;
    raw->length_size = (unsigned)lengths;
    return 0;
}

/// Little-endian unsigned integer of `width` (≤ 8) bytes.
static unsigned long long shim__le(const unsigned char *p, unsigned width) {
    unsigned long long value = 0;
    for (unsigned i = 0; i < width; i++) value |= (unsigned long long)p[i] << (8 * i);
    return value;
}

/// Reads `length` bytes at file address `address` (relative to the base) into a new buffer; NULL when
/// they are not all inside the file or memory runs out.
static unsigned char *shim__raw_read(const shim__raw_file *raw, unsigned long long address, unsigned long long length) {
    if (length == 0 || length > SHIM_HEADER_MAX_CHUNK || address > raw->size || raw->base > raw->size - address) return NULL;
    unsigned long long absolute = raw->base + address;
    if (length > raw->size - absolute) return NULL;
    unsigned char *buffer = (unsigned char *)malloc((size_t)length);
    if (buffer == NULL) return NULL;
    size_t done = 0;
    while (done < length) {
        ssize_t n = pread(raw->fd, buffer + done, (size_t)length - done, (off_t)(absolute + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { free(buffer); return NULL; }
        done += (size_t)n;
    }
    return buffer;
}

typedef struct { char text[256]; unsigned long long offset; } shim__header_problem;

static int shim__problem(shim__header_problem *problem, unsigned long long offset, const char *text) {
    snprintf(problem->text, sizeof(problem->text), "%s", text);
    problem->offset = offset;
    return -1;
}

/// Walks the global heap collection at `address` as libhdf5's loader does (H5HG__cache_heap_deserialize:
/// objects of (uint16 index, uint16 references, 4 reserved, length size, data padded to 8), index 0 being
/// free space taken whole), refusing a collection that is not one, runs past the file, or whose walk
/// would not advance (a zero-sized free-space object: libhdf5 1.10 loops on it forever).
static int shim__check_collection(const shim__raw_file *raw, unsigned long long address, unsigned long long at,
                                  shim__header_problem *problem) {
    unsigned long long header = 8 + (unsigned long long)raw->length_size;
    unsigned char *prefix = shim__raw_read(raw, address, header);
    if (prefix == NULL || memcmp(prefix, "GCOL", 4) != 0 || prefix[4] != 1) {
        free(prefix);
        return shim__problem(problem, at, "variable-length attribute value in something that is not a global heap collection");
    }
    unsigned long long size = shim__le(prefix + 8, raw->length_size);
    free(prefix);
    unsigned char *collection = size >= header ? shim__raw_read(raw, address, size) : NULL;
    if (collection == NULL) return shim__problem(problem, at, "global heap collection runs past the end of the file or is larger than 16 MiB");
    unsigned long long object = 2 + 2 + 4 + (unsigned long long)raw->length_size, cursor = (header + 7) & ~7ull;
    int result = 0;
    while (cursor < size) {
        if (object > size - cursor) break;  // the rest is free space
        unsigned index = (unsigned)shim__le(collection + cursor, 2);
        unsigned long long length = shim__le(collection + cursor + 8, raw->length_size);
        unsigned long long need = index > 0 ? object + ((length + 7) & ~7ull) : length;
        if (need == 0 || length > size || need > size - cursor) {
            result = shim__problem(problem, at, need == 0 ? "global heap collection with an empty free-space object (libhdf5 1.10 loops on it)"
                                                         : "global heap object runs past the end of its collection");
            break;
        }
        cursor += need;
    }
    free(collection);
    return result;
}

/// Checks one attribute message (`data`, `size` bytes, at absolute file offset `at`).
static int shim__check_attribute_message(const shim__raw_file *raw, const unsigned char *data, unsigned long long size,
                                         unsigned long long at, shim__header_problem *problem) {
    if (size < 8) return shim__problem(problem, at, "attribute message shorter than its 8-byte prefix");
    unsigned version = data[0], flags = data[1];
    if (version < 1 || version > 3) return shim__problem(problem, at, "attribute message of unknown version");
    if (version >= 2 && (flags & 0x03)) return shim__problem(problem, at, "attribute with a shared datatype or dataspace (its description lives elsewhere)");
    unsigned long long name = shim__le(data + 2, 2), type = shim__le(data + 4, 2), space = shim__le(data + 6, 2);
    unsigned long long cursor = version == 3 ? 9 : 8;
#define SHIM_PART(n) (version == 1 ? (((n) + 7) & ~7ull) : (n))
    unsigned long long type_at = cursor + SHIM_PART(name), space_at = type_at + SHIM_PART(type), data_at = space_at + SHIM_PART(space);
#undef SHIM_PART
    if (name == 0 || data_at > size) return shim__problem(problem, at, "attribute name, datatype and dataspace run past the end of the attribute message");
    if (type < 8) return shim__problem(problem, at, "attribute datatype shorter than 8 bytes");
    unsigned long long element = shim__le(data + type_at + 4, 4);
    // Dataspace: version 1 (rank, flags, 5 reserved bytes, dims) or 2 (rank, flags, type, dims).
    const unsigned char *ds = data + space_at;
    if (space < 4 || (ds[0] != 1 && ds[0] != 2)) return shim__problem(problem, at, "attribute dataspace malformed");
    unsigned rank = ds[1];
    unsigned long long dims_at = ds[0] == 1 ? 8 : 4;
    if (rank > 32 || dims_at + (unsigned long long)rank * raw->length_size > space) return shim__problem(problem, at, "attribute dataspace extents run past the dataspace");
    unsigned long long points = 1;
    if (ds[0] == 2 && ds[3] == 2) points = 0;  // null dataspace
    for (unsigned i = 0; i < rank && points > 0; i++) {
        unsigned long long extent = shim__le(ds + dims_at + (unsigned long long)i * raw->length_size, raw->length_size);
        if (extent != 0 && points > ~0ull / extent) return shim__problem(problem, at, "attribute element count overflows");
        points *= extent;
    }
    if (element != 0 && points > ~0ull / element) return shim__problem(problem, at, "attribute data size overflows");
    if (points * element > size - data_at) return shim__problem(problem, at, "attribute data runs past the end of the attribute message");
    // Variable-length (class 9): each element in the file is (uint32 length, global heap collection
    // address, uint32 index); libhdf5 allocates and fills `length` base elements per element before it
    // finds out whether the heap object exists (the loops the fuzzer's pre-pass timeouts sat in). Refuse
    // declared lengths beyond the pre-pass's own attribute budget and collections outside the file first.
    if ((data[type_at] & 0x0F) == 9 && points > 0) {
        unsigned long long base = type >= 16 ? shim__le(data + type_at + 12, 4) : 0;  // the base type's size
        unsigned long long record = 4 + (unsigned long long)raw->offset_size + 4, total = 0, checked = ~0ull;
        if (element != record || base == 0) return shim__problem(problem, at, "variable-length attribute with an unexpected element layout");
        for (unsigned long long i = 0; i < points; i++) {
            const unsigned char *item = data + data_at + i * record;
            unsigned long long length = shim__le(item, 4), collection = shim__le(item + 4, raw->offset_size);
            if (length == 0) continue;
            total += length * base;
            if (total > SHIM_PREFLIGHT_MAX_ATTRIBUTE_BYTES) return shim__problem(problem, at, "variable-length attribute declares more than 16 MiB of values");
            if (collection > raw->size || raw->base > raw->size - collection) return shim__problem(problem, at, "variable-length attribute value in a global heap collection outside the file");
            if (collection != checked && shim__check_collection(raw, collection, at, problem) != 0) return -1;
            checked = collection;
        }
    }
    return 0;
}

/// Walks the messages of one chunk (`chunk`, `length` bytes at absolute offset `at`): attribute messages
/// are checked, continuation messages appended to `next` (address, length pairs; `*count` of them).
static int shim__check_chunk(const shim__raw_file *raw, const unsigned char *chunk, unsigned long long length, unsigned long long at,
                             int version, int creation_order, unsigned long long *next, unsigned *count, shim__header_problem *problem) {
    unsigned long long prefix = version == 1 ? 8 : (creation_order ? 6 : 4);
    unsigned long long cursor = 0;
    while (cursor + prefix <= length) {
        unsigned type = version == 1 ? (unsigned)shim__le(chunk + cursor, 2) : chunk[cursor];
        unsigned long long size = shim__le(chunk + cursor + (version == 1 ? 2 : 1), 2);
        unsigned flags = chunk[cursor + (version == 1 ? 4 : 3)];
        unsigned long long body = cursor + prefix;
        if (size > length - body) return shim__problem(problem, at + cursor, "object header message runs past the end of its chunk");
        if (type == 0x0C) {
            if (flags & 0x02) return shim__problem(problem, at + cursor, "shared attribute message (its content lives elsewhere)");
            if (shim__check_attribute_message(raw, chunk + body, size, at + body, problem) != 0) return -1;
        }
        if (type == 0x10) {
            if (size < (unsigned long long)raw->offset_size + raw->length_size) return shim__problem(problem, at + cursor, "continuation message too short");
            if (*count >= SHIM_HEADER_MAX_CHUNKS) return shim__problem(problem, at + cursor, "more than 4096 object header continuation chunks");
            next[2 * *count] = shim__le(chunk + body, raw->offset_size);
            next[2 * *count + 1] = shim__le(chunk + body + raw->offset_size, raw->length_size);
            (*count)++;
        }
        cursor = body + size;
    }
    return 0;
}

/// Checks every attribute message of the object header at `address` (version 1 or 2, all chunks).
/// 0 when they all fit; otherwise -1 with `problem` set.
static int shim__check_header(const shim__raw_file *raw, unsigned long long address, shim__header_problem *problem) {
    unsigned long long at = raw->base + address;
    unsigned char *prefix = shim__raw_read(raw, address, 16);
    if (prefix == NULL) return shim__problem(problem, at, "object header prefix outside the file");
    int version = 0, creation_order = 0;
    unsigned long long chunk_address = 0, chunk_length = 0;
    if (prefix[0] == 1) {
        version = 1;
        chunk_address = address + 16;
        chunk_length = shim__le(prefix + 8, 4);
    } else if (memcmp(prefix, "OHDR", 4) == 0 && prefix[4] == 2) {
        version = 2;
        unsigned flags = prefix[5];
        creation_order = (flags & 0x04) != 0;
        unsigned long long cursor = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
        unsigned width = 1u << (flags & 0x03);
        free(prefix);
        prefix = shim__raw_read(raw, address, cursor + width);
        if (prefix == NULL) return shim__problem(problem, at, "object header prefix outside the file");
        chunk_length = shim__le(prefix + cursor, width);
        chunk_address = address + cursor + width;
    } else {
        free(prefix);
        return shim__problem(problem, at, "object header of unknown version");
    }
    free(prefix);
    unsigned long long *next = (unsigned long long *)calloc(2 * SHIM_HEADER_MAX_CHUNKS, sizeof(unsigned long long));
    if (next == NULL) return shim__problem(problem, at, "out of memory");
    unsigned count = 0, done = 0;
    int result = 0, first = 1;
    for (;;) {
        // Version 2: chunk #0's length counts its messages only (the checksum follows it); continuation
        // chunks, whose length is the whole chunk, start with "OCHK" and end with a checksum.
        unsigned long long skip = version == 2 && !first ? 4 : 0, trailer = skip;
        unsigned char *chunk = shim__raw_read(raw, chunk_address, chunk_length);
        if (chunk == NULL || chunk_length < skip + trailer) {
            free(chunk);
            result = shim__problem(problem, raw->base + chunk_address, "object header chunk outside the file or larger than 16 MiB");
            break;
        }
        if (skip && memcmp(chunk, "OCHK", 4) != 0) {
            free(chunk);
            result = shim__problem(problem, raw->base + chunk_address, "object header continuation chunk without its OCHK signature");
            break;
        }
        result = shim__check_chunk(raw, chunk + skip, chunk_length - skip - trailer, raw->base + chunk_address + skip, version,
                                   creation_order, next, &count, problem);
        free(chunk);
        if (result != 0 || done == count) break;
        chunk_address = next[2 * done];
        chunk_length = next[2 * done + 1];
        done++;
        first = 0;
    }
    free(next);
    return result;
}

/// The child's check of the object with identity `key` (its header address); on a problem, reports
/// SHIM_PREFLIGHT_MALFORMED and marks the walk refused. Returns non-zero when refused.
static int shim__check_attributes(shim__preflight_state *state, unsigned long long key) {
    shim__header_problem problem = { { 0 }, 0 };
    if (shim__check_header(&state->raw, key, &problem) == 0) return 0;
    size_t length = strnlen(problem.text, sizeof(problem.text));
    if (shim__report_begin(state->report, 4 + 8 + 4 + length, SHIM_PREFLIGHT_MALFORMED)) {
        uint64_t offset = (uint64_t)problem.offset;
        shim__report_bytes(state->report, &offset, sizeof(offset));
        shim__report_u32(state->report, (uint32_t)length);
        shim__report_bytes(state->report, problem.text, length);
    } else {
        state->report->failed = 1;  // the refusal must reach the parent: without the record, the child fails
    }
    state->refused = 1;
    return 1;
}
