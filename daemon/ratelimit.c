/*
 * ratelimit.c - see ratelimit.h.
 */
#include "ratelimit.h"

#include <math.h>
#include <netinet/in.h>
#include <string.h>

#define HALF_LIFE_MS 10000.0
#define FREE_POINTS 3.0
#define BASE_DELAY_MS 100.0
#define MAX_DELAY_MS 5000.0

void lcd_ratelimit_init(lcd_ratelimit *rl)
{
    memset(rl, 0, sizeof *rl);
}

/* The address bytes (4 or 16) and family; 0 if not IP. */
static int key_of(const struct sockaddr *sa, uint8_t addr[16], uint8_t *family)
{
    memset(addr, 0, 16);
    if (sa->sa_family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        *family = 4;
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        *family = 6;
        return 1;
    }
    return 0;
}

/* FNV-1a over the address. */
static size_t slot_of(const uint8_t addr[16], uint8_t family)
{
    uint32_t h = 2166136261u ^ family;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h % LCD_RL_SLOTS;
}

static double decayed(const lcd_rl_entry *e, int64_t now_ms)
{
    double dt = (double)(now_ms - e->when_ms);
    if (dt <= 0)
        return e->score;
    return e->score * pow(0.5, dt / HALF_LIFE_MS);
}

static long delay_for(double score)
{
    if (score < FREE_POINTS)
        return 0;
    double d = BASE_DELAY_MS * pow(2.0, score - FREE_POINTS);
    return (long)(d > MAX_DELAY_MS ? MAX_DELAY_MS : d);
}

static lcd_rl_entry *find(lcd_ratelimit *rl, const struct sockaddr *sa, int create)
{
    uint8_t addr[16], family;
    if (!key_of(sa, addr, &family))
        return NULL;
    lcd_rl_entry *e = &rl->slot[slot_of(addr, family)];
    if (e->family == family && memcmp(e->addr, addr, 16) == 0)
        return e;
    if (!create)
        return NULL;
    memset(e, 0, sizeof *e);
    memcpy(e->addr, addr, 16);
    e->family = family;
    return e;
}

lcd_rl_verdict lcd_ratelimit_failed(lcd_ratelimit *rl, const struct sockaddr *sa,
                                    int64_t now_ms, long *delay_ms)
{
    *delay_ms = 0;
    lcd_rl_entry *e = find(rl, sa, 1);
    if (!e)
        return LCD_RL_ANSWER;
    double before = decayed(e, now_ms);
    double after = before + 1.0;
    e->score = (float)(after > LCD_RL_MAX_SCORE ? LCD_RL_MAX_SCORE : after);
    e->when_ms = now_ms;
    long d = delay_for(before);
    if (d == 0)
        return LCD_RL_ANSWER;
    if (e->held >= LCD_RL_HELD)
        return LCD_RL_DROP;
    e->held++;
    *delay_ms = d;
    return LCD_RL_DELAY;
}

void lcd_ratelimit_release(lcd_ratelimit *rl, const struct sockaddr *sa)
{
    lcd_rl_entry *e = find(rl, sa, 0);
    if (e && e->held > 0) /* (the entry may have been replaced meanwhile) */
        e->held--;
}

long lcd_ratelimit_delay(lcd_ratelimit *rl, const struct sockaddr *sa, int64_t now_ms)
{
    lcd_rl_entry *e = find(rl, sa, 0);
    return e ? delay_for(decayed(e, now_ms)) : 0;
}

unsigned lcd_ratelimit_held(lcd_ratelimit *rl, const struct sockaddr *sa)
{
    lcd_rl_entry *e = find(rl, sa, 0);
    return e ? e->held : 0;
}
