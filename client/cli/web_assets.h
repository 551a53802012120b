/*
 * web_assets.h - the page of `logcollect web`, embedded at build time:
 * client/cli/web/embed.sh turns client/cli/web/{index.html,app.js,app.css}
 * into BUILD/gen/web_assets.c (see the Makefile).
 */
#ifndef LCLI_WEB_ASSETS_H
#define LCLI_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;         /* "/", "/app.js", ... */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} web_asset;

extern const web_asset web_assets[];
extern const size_t web_nassets;

#endif
