// libpng decoding with setjmp-based error recovery, to RGB as Pillow's convert("RGB").
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include "image_codecs.h"

struct reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *message;
};

static void on_error(png_structp png, png_const_charp text) {
    struct reader *r = (struct reader *)png_get_error_ptr(png);
    snprintf(r->message, 256, "%s", text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

static void on_read(png_structp png, png_bytep into, png_size_t length) {
    struct reader *r = (struct reader *)png_get_io_ptr(png);
    if (length > r->size - r->offset) {
        png_error(png, "truncated PNG data");
    }
    memcpy(into, r->data + r->offset, length);
    r->offset += length;
}

int ditport_decode_png(const uint8_t *data, size_t size, long long max_pixels, ditport_image *out) {
    const int header_only = out->header_only;
    uint8_t *const destination = out->destination;
    memset(out, 0, sizeof(*out));
    out->header_only = header_only;
    out->destination = destination;
    struct reader r = {data, size, 0, out->message};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    if (!png) {
        snprintf(out->message, sizeof(out->message), "cannot create a PNG reader");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!info) snprintf(out->message, sizeof(out->message), "cannot create a PNG reader");
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        if (!destination) free(pixels);
        free(rows);
        return 1;
    }
    png_set_read_fn(png, &r, on_read);
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if ((long long)width * (long long)height > max_pixels) {
        snprintf(out->message, sizeof(out->message), "image of %ux%u pixels exceeds the limit of %lld pixels",
                 width, height, max_pixels);
        png_longjmp(png, 1);
    }
    out->is_palette = color == PNG_COLOR_TYPE_PALETTE;
    out->source_channels = png_get_channels(png, info);
    if (out->is_palette) out->source_channels = png_get_valid(png, info, PNG_INFO_tRNS) ? 4 : 3;
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);          // tRNS not expanded: ignored
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);                                    // high byte, as Pillow's ;16B modes
    // Alpha dropped, not composited; a tRNS chunk (which the palette expansion turns into alpha) likewise.
    if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8) {
        snprintf(out->message, sizeof(out->message), "unexpected PNG layout after conversion");
        png_longjmp(png, 1);
    }
    if (header_only) {
        out->width = (int)width;
        out->height = (int)height;
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    size_t stride = (size_t)width * 3;
    pixels = destination ? destination : malloc(stride * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) {
        snprintf(out->message, sizeof(out->message), "out of memory");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + stride * y;
    png_read_image(png, rows);  // chunks after the image data are not read (Pillow stops there too)
    free(rows);
    out->width = (int)width;
    out->height = (int)height;
    out->pixels = pixels;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}
