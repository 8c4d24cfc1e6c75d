// JPEG (libjpeg-turbo) and PNG (libpng) decoding to 8-bit interleaved RGB, as Pillow's
// Image.open(...).convert("RGB") gives it: gray replicated, alpha dropped (not composited), palette
// expanded (transparency ignored), 16-bit samples reduced to their high byte.
// Errors never exit or longjmp past the caller: they return non-zero with a one-line message.
#ifndef DITPORT_IMAGE_CODECS_H
#define DITPORT_IMAGE_CODECS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *pixels;      // [height, width, 3] RGB, malloc'd; free with ditport_image_free
    int width;
    int height;
    int source_channels;  // channels in the file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette: 3 or 4)
    int is_palette;
    int is_progressive;
    char message[256];    // the reason, when decoding failed
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

#endif
