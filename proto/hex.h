/*
 * hex.h - hexadecimal digits, the one copy for keys, session ids and
 * fingerprints.  (OpenSSL's OPENSSL_buf2hexstr_ex writes upper case with
 * separators, which suits fingerprints; our ids and keys are lower case.)
 */
#ifndef LCP_HEX_H
#define LCP_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of a hex digit (either case), or -1. */
int lcp_hex_digit(int c);

/* n bytes as 2n lower-case digits, then NUL (out holds 2n + 1). */
void lcp_hex_lower(char *out, const uint8_t *in, size_t n);

#endif
