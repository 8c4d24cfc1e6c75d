// JPEG (libjpeg-turbo) and PNG (libpng) decoding to 8-bit interleaved RGB, as Pillow's
// Image.open(...).convert("RGB") gives it: gray replicated, alpha dropped (not composited), palette
// expanded (transparency ignored), 16-bit samples reduced to their high byte.
// Errors never exit or longjmp past the caller: they return non-zero with a one-line message.
#ifndef DITPORT_IMAGE_CODECS_H
#define DITPORT_IMAGE_CODECS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *pixels;      // [height, width, 3] RGB: `destination` if given, else malloc'd (free with ditport_image_free)
    int width;
    int height;
    int source_channels;  // channels in the file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette: 3 or 4)
    int is_palette;
    int is_progressive;
    char message[256];    // the reason, when decoding failed
    // Set by the caller before decoding (kept, everything else is reset):
    int header_only;      // 1: read the header only (width, height, channels, limits checked), no pixels
    uint8_t *destination; // decode into this buffer of width*height*3 bytes (from a header_only call) instead of malloc
} ditport_image;

/// Decodes a JPEG held in memory. Truncated data ("premature end of JPEG file") is an error, as in Pillow.
/// `max_pixels` bounds width*height before any pixel buffer is allocated. Returns 0 on success.
int ditport_decode_jpeg(const uint8_t *data, size_t size, long long max_pixels, ditport_image *out);

/// Decodes a PNG held in memory; a CRC error in any chunk is an error. Returns 0 on success.
int ditport_decode_png(const uint8_t *data, size_t size, long long max_pixels, ditport_image *out);

void ditport_image_free(ditport_image *image);

/// One output row of the vertical pass: out[i] = clip8((1 << 21) + sum_j in[j * row_length + i] * weights[j]),
/// `acc` is scratch of `row_length` int32.
void ditport_resample_vertical_row(const uint8_t *in, long row_length, const int32_t *weights, long count, uint8_t *out, int32_t *acc);

/// Output pixels [column_begin, column_end) of one RGB row of the horizontal pass (weights [outSize, ksize]).
void ditport_resample_horizontal_row(const uint8_t *line, const long *first, const long *count, const int32_t *weights,
                                     long ksize, long column_begin, long column_end, uint8_t *out);

/// Output pixels [column_begin, column_end) of `rows` RGB rows of the horizontal pass (input row r at
/// in + r * in_stride, output row r at out + r * out_stride), tiled and vectorised; byte-identical to
/// ditport_resample_horizontal_row on each row. `tile` is scratch of
/// ditport_resample_horizontal_tile_bytes(first, count, column_begin, column_end) bytes.
void ditport_resample_horizontal(const uint8_t *in, long in_stride, long rows, const long *first, const long *count,
                                 const int32_t *weights, long ksize, long column_begin, long column_end, uint8_t *out,
                                 long out_stride, uint8_t *tile);
long ditport_resample_horizontal_tile_bytes(const long *first, const long *count, long column_begin, long column_end);

/// glibc: keep up to `keep_bytes` of freed memory in the process instead of returning it to the kernel,
/// and serve allocations up to `heap_allocation_limit` bytes (glibc caps it at 32 MB) from the heap.
/// No effect with other C libraries.
void ditport_keep_freed_memory(long keep_bytes, long heap_allocation_limit);

#endif
