// libjpeg-turbo decoding with setjmp-based error recovery (libjpeg's default handler calls exit()).
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "image_codecs.h"

struct error_manager {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;
};

static void on_error(j_common_ptr cinfo) {
    struct error_manager *err = (struct error_manager *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    snprintf(err->message, 256, "%s", buffer);
    longjmp(err->jump, 1);
}

// Warnings (level -1) are ignored like Pillow does, except the end of data arriving before the image
// is complete: Pillow raises "image file is truncated" there, so this is an error too.
static void on_message(j_common_ptr cinfo, int level) {
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        struct error_manager *err = (struct error_manager *)cinfo->err;
        snprintf(err->message, 256, "truncated JPEG data (premature end of file)");
        longjmp(err->jump, 1);
    }
}

int ditport_decode_jpeg(const uint8_t *data, size_t size, long long max_pixels, ditport_image *out) {
    const int header_only = out->header_only;
    uint8_t *const destination = out->destination;
    memset(out, 0, sizeof(*out));
    out->header_only = header_only;
    out->destination = destination;
    struct jpeg_decompress_struct cinfo;
    struct error_manager err;
    uint8_t *volatile pixels = NULL;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
    err.message = out->message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        if (!destination) free(pixels);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        snprintf(out->message, sizeof(out->message), "CMYK/YCCK JPEG is not supported (convert it to RGB first)");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    if ((long long)cinfo.image_width * (long long)cinfo.image_height > max_pixels) {
        snprintf(out->message, sizeof(out->message), "image of %ux%u pixels exceeds the limit of %lld pixels",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    out->source_channels = cinfo.num_components;
    out->is_progressive = cinfo.progressive_mode ? 1 : 0;
    if (header_only) {
        out->width = (int)cinfo.image_width;   // = output size: no scaling is asked for
        out->height = (int)cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    cinfo.out_color_space = JCS_RGB;  // gray is replicated, YCbCr converted (default islow DCT, fancy upsampling)
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * 3;
    pixels = destination ? destination : malloc(stride * cinfo.output_height);
    if (!pixels) {
        snprintf(out->message, sizeof(out->message), "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->pixels = pixels;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

void ditport_image_free(ditport_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
