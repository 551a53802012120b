/*
 * ratelimit.h - slowing down addresses whose handshakes fail, without ever
 * slowing down a key holder.
 *
 * On loopback every local process shares 127.0.0.1, so anything that
 * delays or refuses *connections* from a failing address locks out the
 * honest clients that share it.  So a new connection's challenge is never
 * delayed and a right proof is answered at once; what is slowed down is the
 * failing connection itself:
 *
 *  - each wrong proof adds 1 point to its address's score; the score halves
 *    every 10 s and is capped at LCD_RL_MAX_SCORE points;
 *  - while the address scores under 3 points, the #FAILURE# answer goes at
 *    once (an honest client with the wrong key learns it at once);
 *  - from 3 points on, the answer is delayed 100 ms, doubling with each
 *    further point, at most 5 s, and the connection is held unread
 *    meanwhile;
 *  - at most LCD_RL_HELD connections of one address are held at once: a
 *    wrong proof beyond that is closed at once, unanswered.
 *
 * So a failing address gets at most LCD_RL_HELD answers per delay (16 per
 * 5 s at full penalty), the rest of its attempts cost it a reconnect, and
 * its penalty is gone at most 18 s after its last failure (10 s x
 * log2(10 / 3) = 17.4 s from the cap down to 3 points).  Keys are 256-bit:
 * none of this is what stops guessing; it keeps a failing peer's use of the
 * daemon small and, above all, never touches a peer with the key.
 *
 * The table has a fixed size: an address that collides replaces the older
 * entry, so memory is bounded whatever the number of addresses.
 */
#ifndef LCD_RATELIMIT_H
#define LCD_RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#define LCD_RL_SLOTS 4096
#define LCD_RL_HELD 16       /* failed connections of one address held at once */
#define LCD_RL_MAX_SCORE 10.0

typedef struct {
    uint8_t addr[16];
    uint8_t family;
    uint16_t held;   /* connections held for a delayed answer */
    float score;
    int64_t when_ms; /* when score was last updated */
} lcd_rl_entry;

typedef struct {
    lcd_rl_entry slot[LCD_RL_SLOTS];
} lcd_ratelimit;

typedef enum {
    LCD_RL_ANSWER = 0, /* send #FAILURE# now and close */
    LCD_RL_DELAY,      /* hold the connection *delay_ms, then answer */
    LCD_RL_DROP,       /* close now, unanswered: the address has LCD_RL_HELD held */
} lcd_rl_verdict;

void lcd_ratelimit_init(lcd_ratelimit *rl);

/* A wrong proof from sa at now_ms: adds a point and says what to do with
 * the connection.  After LCD_RL_DELAY the caller calls
 * lcd_ratelimit_release when it lets the connection go. */
lcd_rl_verdict lcd_ratelimit_failed(lcd_ratelimit *rl, const struct sockaddr *sa,
                                    int64_t now_ms, long *delay_ms);

/* A connection held after LCD_RL_DELAY is gone. */
void lcd_ratelimit_release(lcd_ratelimit *rl, const struct sockaddr *sa);

/* How long the answer to sa's next wrong proof would wait (ms; 0: none). */
long lcd_ratelimit_delay(lcd_ratelimit *rl, const struct sockaddr *sa, int64_t now_ms);

/* Connections of sa held now. */
unsigned lcd_ratelimit_held(lcd_ratelimit *rl, const struct sockaddr *sa);

#endif
