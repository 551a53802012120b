/*
 * privdrop.h - giving up root.  Started as root with --user NAME, the
 * daemon opens its socket, files and keys, then becomes NAME (with NAME's
 * groups) before it reads a byte from any client, and checks that root
 * cannot be regained.
 */
#ifndef LCD_PRIVDROP_H
#define LCD_PRIVDROP_H

#include <stddef.h>

/* Returns 0, or -1 with err set.  Refuses when not running as root. */
int lcd_drop_privileges(const char *user, char *err, size_t errlen);

#endif
