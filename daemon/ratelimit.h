/*
 * ratelimit.h - slowing down peers whose handshakes fail.
 *
 * Each failed handshake adds 1 to its source address's score; the score
 * halves every 10 s.  New connections from an address scoring 3 or more
 * wait before they get their challenge: 100 ms, doubling with each point,
 * at most 5 s.  Guessing keys then costs seconds per guess per address,
 * while an honest client that got the key wrong once is not delayed.
 * (On loopback every local peer shares 127.0.0.1, so an attacker there
 * slows other local clients' connects too, for as long as it attacks.)
 *
 * The table has a fixed size: an address that collides replaces the older
 * entry, so memory is bounded whatever the number of addresses.
 */
#ifndef LCD_RATELIMIT_H
#define LCD_RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#define LCD_RL_SLOTS 4096

typedef struct {
    uint8_t addr[16];
    uint8_t family;
    float score;
    int64_t when_ms; /* when score was last updated */
} lcd_rl_entry;

typedef struct {
    lcd_rl_entry slot[LCD_RL_SLOTS];
} lcd_ratelimit;

void lcd_ratelimit_init(lcd_ratelimit *rl);

/* A handshake from sa failed at now_ms. */
void lcd_ratelimit_failed(lcd_ratelimit *rl, const struct sockaddr *sa, int64_t now_ms);

/* How long a new connection from sa should wait (ms; 0: none). */
long lcd_ratelimit_delay(lcd_ratelimit *rl, const struct sockaddr *sa, int64_t now_ms);

#endif
